"""The CI run-context plugin, installed in a training environment, tags runs made in CI."""
import os
import subprocess
import sys

import pytest
import requests

from tests.e2e.conftest import PROJECT_ROOT

TRAIN = """
import mlflow
mlflow.set_experiment("ci-plugin")
with mlflow.start_run() as run:
    mlflow.log_metric("loss", 0.5)
print(run.info.run_id)
"""
GITLAB = {"GITLAB_CI": "true", "CI_JOB_ID": "4242", "CI_JOB_NAME": "train", "CI_PIPELINE_ID": "77",
          "CI_PROJECT_URL": "https://gitlab.example.com/ml/app", "CI_PROJECT_PATH": "ml/app",
          "CI_MERGE_REQUEST_IID": "9", "CI_MERGE_REQUEST_TITLE": "Tune the learning rate",
          "GITLAB_USER_LOGIN": "ada", "CI_COMMIT_SHA": "abc123", "CI_COMMIT_REF_NAME": "tune"}
GITHUB = {"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "555", "GITHUB_RUN_ATTEMPT": "2",
          "GITHUB_REPOSITORY": "ml/app", "GITHUB_SERVER_URL": "https://github.com",
          "GITHUB_ACTOR": "grace", "GITHUB_SHA": "def456", "GITHUB_REF": "refs/pull/12/merge",
          "GITHUB_JOB": "train", "GITHUB_WORKFLOW": "ci"}
CI_VARIABLES = set(GITLAB) | set(GITHUB) | {"CI", "GITLAB_CI", "GITHUB_ACTIONS"}


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory):
    """The plugin pip-installed into a folder of its own, as a training environment would have it."""
    target = tmp_path_factory.mktemp("plugin")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    os.path.join(PROJECT_ROOT, "plugins", "mlflow-ci-context")], check=True,
                   capture_output=True)
    return str(target)


def _train(server_url: str, plugin_path: str, ci_env: dict) -> str:
    env = {k: v for k, v in os.environ.items() if k not in CI_VARIABLES}
    env.update(ci_env, MLFLOW_TRACKING_URI=server_url,
               PYTHONPATH=os.pathsep.join(filter(None, [plugin_path, env.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", TRAIN], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def _run(server_url: str, run_id: str) -> dict:
    return requests.get(f"{server_url}/api/2.0/mlflow/runs/get", params={"run_id": run_id}).json()["run"]


def test_gitlab_job_tags_run_and_page_links_it_when_trained_in_gitlab_ci(server_url, plugin_path):
    run_id = _train(server_url, plugin_path, GITLAB)
    run = _run(server_url, run_id)
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["gitlab.CI_JOB_ID"] == "4242" and tags["gitlab.CI_MERGE_REQUEST_IID"] == "9"
    page = requests.get(f"{server_url}/runs/{run_id}").text
    assert 'href="https://gitlab.example.com/ml/app/-/jobs/4242"' in page
    assert 'href="https://gitlab.example.com/ml/app/-/merge_requests/9"' in page
    assert "!9 Tune the learning rate" in page


def test_github_job_tags_run_with_pull_request_when_trained_in_actions(server_url, plugin_path):
    run_id = _train(server_url, plugin_path, GITHUB)
    tags = {t["key"]: t["value"] for t in _run(server_url, run_id)["data"]["tags"]}
    assert tags["github.run_id"] == "555" and tags["github.pull_request"] == "12"
    page = requests.get(f"{server_url}/runs/{run_id}").text
    assert 'href="https://github.com/ml/app/actions/runs/555/attempts/2"' in page
    assert 'href="https://github.com/ml/app/pull/12"' in page


def test_run_outside_ci_gets_no_ci_tags_when_plugin_is_installed(server_url, plugin_path):
    run_id = _train(server_url, plugin_path, {})
    keys = {t["key"] for t in _run(server_url, run_id)["data"]["tags"]}
    assert not any(k.startswith(("gitlab.", "github.")) for k in keys)
    assert "Not linked to a CI job." in requests.get(f"{server_url}/runs/{run_id}").text
