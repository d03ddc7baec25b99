"""CI information derived from a run's tags: which job, pipeline, merge request and user made it.

Tags come from the training code or the run-context plugin: `gitlab.<CI variable>` for GitLab CI,
`github.<field>` for GitHub Actions. Pure: no Flask, no DB. Only http(s) URLs become links.
"""
from dataclasses import dataclass
from urllib.parse import quote, urlsplit


@dataclass(frozen=True)
class CiRecord:
    provider: str
    job_id: str | None = None
    job_name: str | None = None
    job_url: str | None = None
    pipeline_id: str | None = None
    pipeline_url: str | None = None
    merge_request: str | None = None
    merge_request_title: str | None = None
    merge_request_url: str | None = None
    user: str | None = None
    commit: str | None = None
    commit_url: str | None = None
    ref: str | None = None
    project: str | None = None
    pipeline_filter: str | None = None
    merge_request_filter: str | None = None


def safe_url(value: str | None) -> str | None:
    """The value if it is an absolute http(s) URL, else None (no javascript: or data: links)."""
    if not value:
        return None
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _join(base: str | None, *path: str) -> str | None:
    base = safe_url(base)
    if base is None or not all(path):
        return None
    return base.rstrip("/") + "/" + "/".join(quote(p, safe="/-") for p in path)


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _gitlab(tags: dict) -> CiRecord | None:
    def get(name):
        return tags.get(f"gitlab.{name}") or None

    if not (get("CI_JOB_ID") or get("CI_PIPELINE_ID")):
        return None
    project = get("CI_PROJECT_URL")
    job_id, pipeline_id, mr = get("CI_JOB_ID"), get("CI_PIPELINE_ID"), get("CI_MERGE_REQUEST_IID")
    return CiRecord(
        provider="GitLab CI", job_id=job_id, job_name=get("CI_JOB_NAME"),
        job_url=safe_url(get("CI_JOB_URL")) or _join(project, "-/jobs", job_id or ""),
        pipeline_id=pipeline_id,
        pipeline_url=safe_url(get("CI_PIPELINE_URL")) or _join(project, "-/pipelines", pipeline_id or ""),
        merge_request=mr, merge_request_title=get("CI_MERGE_REQUEST_TITLE"),
        merge_request_url=_join(project, "-/merge_requests", mr or ""),
        user=get("GITLAB_USER_NAME") or get("GITLAB_USER_LOGIN"), commit=get("CI_COMMIT_SHA"),
        commit_url=_join(project, "-/commit", get("CI_COMMIT_SHA") or ""),
        ref=get("CI_COMMIT_REF_NAME"), project=get("CI_PROJECT_PATH") or project,
        pipeline_filter=f"tags.`gitlab.CI_PIPELINE_ID` = {_quoted(pipeline_id)}" if pipeline_id else None,
        merge_request_filter=f"tags.`gitlab.CI_MERGE_REQUEST_IID` = {_quoted(mr)}" if mr else None,
    )


def _github(tags: dict) -> CiRecord | None:
    def get(name):
        return tags.get(f"github.{name}") or None

    run_id = get("run_id")
    if not run_id:
        return None
    repo_url = _join(get("server_url"), get("repository") or "")
    attempt = get("run_attempt")
    run_url = _join(repo_url, "actions/runs", run_id)
    if run_url and attempt:
        run_url += f"/attempts/{quote(attempt)}"
    pr = get("pull_request")
    return CiRecord(
        provider="GitHub Actions", job_id=get("job") and f"{get('job')}", job_name=get("job"),
        job_url=run_url, pipeline_id=run_id, pipeline_url=_join(repo_url, "actions/runs", run_id),
        merge_request=pr, merge_request_url=_join(repo_url, "pull", pr or ""),
        user=get("actor"), commit=get("sha"), commit_url=_join(repo_url, "commit", get("sha") or ""),
        ref=get("ref"), project=get("repository"),
        pipeline_filter=f"tags.`github.run_id` = {_quoted(run_id)}",
        merge_request_filter=f"tags.`github.pull_request` = {_quoted(pr)}" if pr else None,
    )


def ci_record(tags: dict) -> CiRecord | None:
    """The run's CI record, or None when no CI tags are present."""
    return _gitlab(tags) or _github(tags)
