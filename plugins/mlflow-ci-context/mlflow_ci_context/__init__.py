"""MLflow run-context providers that tag runs started in GitLab CI or GitHub Actions.

Installed with pip, MLflow finds them through the `mlflow.run_context_provider` entry point and
adds their tags to every run it starts; outside CI they add nothing.
"""
import os
import re

from mlflow.tracking.context.abstract_context import RunContextProvider

GITLAB_VARIABLES = (
    "CI_JOB_ID", "CI_JOB_NAME", "CI_JOB_URL", "CI_PIPELINE_ID", "CI_PIPELINE_URL", "CI_PROJECT_URL",
    "CI_PROJECT_PATH", "CI_MERGE_REQUEST_IID", "CI_MERGE_REQUEST_TITLE", "CI_COMMIT_SHA",
    "CI_COMMIT_REF_NAME", "GITLAB_USER_LOGIN", "GITLAB_USER_NAME",
)
GITHUB_VARIABLES = {
    "run_id": "GITHUB_RUN_ID", "run_attempt": "GITHUB_RUN_ATTEMPT", "workflow": "GITHUB_WORKFLOW",
    "job": "GITHUB_JOB", "repository": "GITHUB_REPOSITORY", "server_url": "GITHUB_SERVER_URL",
    "actor": "GITHUB_ACTOR", "sha": "GITHUB_SHA", "ref": "GITHUB_REF",
}
_PULL_REF = re.compile(r"^refs/pull/(\d+)/")


class GitLabCiContext(RunContextProvider):
    """gitlab.<CI variable> tags inside a GitLab CI job."""

    def in_context(self):
        return os.environ.get("GITLAB_CI") == "true"

    def tags(self):
        return {f"gitlab.{name}": os.environ[name] for name in GITLAB_VARIABLES if os.environ.get(name)}


class GitHubActionsContext(RunContextProvider):
    """github.<field> tags inside a GitHub Actions job, with the pull request number when any."""

    def in_context(self):
        return os.environ.get("GITHUB_ACTIONS") == "true"

    def tags(self):
        tags = {f"github.{field}": os.environ[name]
                for field, name in GITHUB_VARIABLES.items() if os.environ.get(name)}
        pull = _PULL_REF.match(os.environ.get("GITHUB_REF", ""))
        if pull:
            tags["github.pull_request"] = pull.group(1)
        return tags
