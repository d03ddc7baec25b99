"""Assertions shared by the API tests: MLflow's error JSON, and small waits for the clock."""
import time

INVALID = "INVALID_PARAMETER_VALUE"
NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"
EXISTS = "RESOURCE_ALREADY_EXISTS"
NO_ENDPOINT = "ENDPOINT_NOT_FOUND"

STATUS = {INVALID: 400, NOT_FOUND: 404, EXISTS: 400, NO_ENDPOINT: 404}


def assert_error(result, code: str, *mentions: str, status: int | None = None) -> str:
    """Assert `(status, body)` is MLflow's error JSON with `code`; the message names each mention."""
    status_code, body = result
    expected_status = status if status is not None else STATUS[code]
    assert status_code == expected_status, body
    assert body is not None, "error responses must be JSON"
    assert set(body) == {"error_code", "message"}, body
    assert body["error_code"] == code, body
    for mention in mentions:
        assert mention in body["message"], (mention, body["message"])
    return body["message"]


def next_ms() -> None:
    """Let the millisecond clock move on, so timestamps taken before and after differ."""
    start = time.time_ns() // 1_000_000
    while time.time_ns() // 1_000_000 <= start:
        time.sleep(0.0005)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def tags_of(entity: dict) -> dict:
    """{key: value} of a run's or an experiment's tags."""
    tags = entity["data"]["tags"] if "data" in entity else entity.get("tags", [])
    return {t["key"]: t["value"] for t in tags}


def params_of(run: dict) -> dict:
    return {p["key"]: p["value"] for p in run["data"].get("params", [])}


def metrics_of(run: dict) -> dict:
    """{key: full metric dict} of a run's latest metrics."""
    return {m["key"]: m for m in run["data"].get("metrics", [])}


def make_api(tmp_path_factory, name: str):
    """A server of its own for a module's read-only tests: seed it once, then only read."""
    from tests.conftest import Api
    from tests.databases import make_app

    app = make_app(tmp_path_factory.mktemp(name))
    return Api(app.test_client())
