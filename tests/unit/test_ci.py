"""CI records derived from run tags."""
from mlexp.ci import ci_record, safe_url


def test_gitlab_record_builds_links_from_project_url_when_only_ids_given():
    record = ci_record({"gitlab.CI_JOB_ID": "42", "gitlab.CI_PIPELINE_ID": "7",
                        "gitlab.CI_PROJECT_URL": "https://gitlab.example.com/ml/app",
                        "gitlab.CI_MERGE_REQUEST_IID": "3", "gitlab.CI_MERGE_REQUEST_TITLE": "Tune lr",
                        "gitlab.GITLAB_USER_LOGIN": "ada", "gitlab.CI_COMMIT_SHA": "abc123",
                        "gitlab.CI_COMMIT_REF_NAME": "tune"})
    assert record.provider == "GitLab CI"
    assert record.job_url == "https://gitlab.example.com/ml/app/-/jobs/42"
    assert record.pipeline_url == "https://gitlab.example.com/ml/app/-/pipelines/7"
    assert record.merge_request_url == "https://gitlab.example.com/ml/app/-/merge_requests/3"
    assert (record.merge_request, record.merge_request_title, record.user) == ("3", "Tune lr", "ada")
    assert record.commit_url == "https://gitlab.example.com/ml/app/-/commit/abc123"
    assert record.pipeline_filter == "tags.`gitlab.CI_PIPELINE_ID` = '7'"


def test_gitlab_record_uses_given_urls_when_ci_provides_them():
    record = ci_record({"gitlab.CI_JOB_ID": "42", "gitlab.CI_JOB_URL": "https://ci.example/j/42",
                        "gitlab.CI_PIPELINE_ID": "7", "gitlab.CI_PIPELINE_URL": "https://ci.example/p/7"})
    assert record.job_url == "https://ci.example/j/42"
    assert record.pipeline_url == "https://ci.example/p/7"


def test_partial_gitlab_record_has_no_links_when_only_job_id_is_tagged():
    record = ci_record({"gitlab.CI_JOB_ID": "42"})
    assert record.job_id == "42"
    assert record.job_url is None and record.pipeline_url is None and record.merge_request_url is None


def test_github_record_links_run_attempt_and_pull_request_when_tagged():
    record = ci_record({"github.run_id": "999", "github.run_attempt": "2", "github.repository": "o/r",
                        "github.server_url": "https://github.com", "github.actor": "grace",
                        "github.sha": "f00", "github.ref": "refs/pull/5/merge", "github.pull_request": "5",
                        "github.job": "train", "github.workflow": "ci"})
    assert record.provider == "GitHub Actions"
    assert record.job_url == "https://github.com/o/r/actions/runs/999/attempts/2"
    assert record.merge_request_url == "https://github.com/o/r/pull/5"
    assert record.commit_url == "https://github.com/o/r/commit/f00"
    assert record.user == "grace"


def test_no_record_when_run_has_no_ci_tags():
    assert ci_record({"mlflow.user": "ada"}) is None


def test_script_urls_never_become_links_when_tag_values_are_hostile():
    record = ci_record({"gitlab.CI_JOB_ID": "1", "gitlab.CI_JOB_URL": "javascript:alert(1)",
                        "gitlab.CI_PROJECT_URL": "data:text/html,<script>"})
    assert record.job_url is None and record.pipeline_url is None
    assert safe_url(" https://x.example/a ") == "https://x.example/a"
    assert safe_url("//evil.example") is None


def test_filters_quote_values_when_ids_hold_quotes():
    record = ci_record({"gitlab.CI_PIPELINE_ID": "7' or '1"})
    assert record.pipeline_filter == "tags.`gitlab.CI_PIPELINE_ID` = '7\\' or \\'1'"
