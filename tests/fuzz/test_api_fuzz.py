"""Fuzz every API endpoint with hypothesis (issue 9, hostile and broken input).

Whatever arrives (generated JSON bodies, query strings, filter strings, URL paths, bodies that
are not JSON at all, odd headers), the answer is a success or MLflow's error JSON
{"error_code", "message"} with a known code whose status fits it: never a 500 (the only 5xx is
the deliberate 501 NOT_IMPLEMENTED of multipart uploads), never a traceback. Afterwards the
database is still consistent and nothing was written outside the packages folder.

Endpoints are read from app.url_map, so a new route is fuzzed without touching this file; the
request schema each view parses (`parse(XRequest)`) shapes its bodies, half of them hostile and
half well-formed requests about the seeded ids. Run with -s to see the figures: requests sent,
answers by status, wall and CPU time.
"""
import functools
import inspect
import json
import os
import re
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema
from marshmallow import fields as mm
from sqlalchemy import create_engine

from mlexp.artifacts.upload_files import TEMP_PREFIX
from mlexp.errors import HTTP_STATUS, ErrorCode
from tests.databases import make_app
from tests.fuzz.seed import revive, seed
from tests.routes import routes
from tests.fuzz.strategies import (CONTENT_TYPES, FILTERS, HEADERS, JSON_VALUES, MANY_ORDER_KEYS,
                                   NASTY_TEXT, ORDER_BY_LISTS, PAGE_TOKENS, RAW_BODIES, RAW_QUERIES,
                                   SANE_TEXT, TEXT, loose_body, mix, schema_body, valid_search)

API_PREFIXES = ("/api/", "/ajax-api/")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
UNKNOWN_PATHS = ("/api/2.0/mlflow/nope", "/api/2.0/mlflow/", "/api/3.0/mlflow/experiments/get",
                 "/ajax-api/2.0/mlflow/runs", "/api/2.0/mlflow-artifacts/", "/api/", "/ajax-api/x")
KNOWN_CODES = {code.value for code in ErrorCode}
REVIVE_EVERY = 50  # requests between restorations of the seeded experiments, runs and model
LEAKS = re.compile(r'Traceback \(most recent call last\)|File "[^"]+", line \d+|sqlalchemy\.exc'
                   r"|sqlite3\.\w*Error|\(Background on this error")
_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def fuzz_settings(examples: int):
    """Reproducible in CI: a fixed seed and no example database. To dig deeper locally,
    MLEXP_FUZZ_SCALE=10 runs ten times the examples and MLEXP_FUZZ_RANDOM=1 draws new ones."""
    scale = float(os.environ.get("MLEXP_FUZZ_SCALE", "1"))
    return settings(max_examples=max(1, int(examples * scale)), deadline=None,
                    derandomize=not os.environ.get("MLEXP_FUZZ_RANDOM"), database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


@dataclass(frozen=True)
class Endpoint:
    rule: str
    method: str
    schema: object  # the request schema its view parses, or None

    @property
    def arguments(self) -> list[tuple[str, str]]:
        """(converter, name) of each URL variable."""
        return _ARGUMENT.findall(self.rule)


def api_endpoints(app) -> list[Endpoint]:
    """Every (rule, method) under the API prefixes, with the request schema its view parses."""
    found = []
    for route in routes(app):
        if not route.rule.startswith(API_PREFIXES):
            continue
        schema = _request_schema(route.view)
        found += [Endpoint(route.rule, m, schema) for m in sorted(route.methods)]
    return sorted(found, key=lambda e: (e.rule, e.method))


def _request_schema(view):
    """The schema named in the view's `parse(XRequest)` (or `parse(XRequest())`, or
    `load(XRequest, body)`) call, or None."""
    view = inspect.unwrap(view)
    match = re.search(r"\b(?:parse\((\w+)(?:\(\))?\)|load\((\w+), )", inspect.getsource(view))
    found = view.__globals__.get(match.group(1) or match.group(2)) if match else None
    if isinstance(found, type) and issubclass(found, Schema):
        return found()
    return found if isinstance(found, Schema) else None


def contract_problem(method: str, response) -> str | None:
    """What is wrong with an answer, or None when it keeps the wire contract."""
    status, raw = response.status_code, response.get_data()
    text = raw.decode("utf-8", "replace")
    if status >= 500 and not _deliberate(status, raw):
        return f"{status} answer"
    if 300 <= status < 400:
        return None if status == 304 or "Location" in response.headers else f"{status} without Location"
    if 200 <= status < 300:
        if method in ("HEAD", "OPTIONS") or response.headers.get("Content-Disposition", "").startswith(
                "attachment"):
            return None  # no body, or a downloaded file's own bytes
        try:
            body = json.loads(raw)
        except ValueError:
            return "success that is not JSON"
        if not isinstance(body, dict):
            return "success that is not a JSON object"
        return "traceback text in the body" if LEAKS.search(text) else None
    if method == "HEAD" and not raw:
        return None  # HEAD answers carry the headers of GET's answer and no body
    if not response.is_json:
        return f"{status} error that is not JSON ({response.content_type})"
    try:
        body = json.loads(raw)
    except ValueError:
        return f"{status} error whose JSON does not parse"
    if not isinstance(body, dict) or set(body) != {"error_code", "message"}:
        return f"{status} error that is not exactly {{error_code, message}}"
    code, message = body["error_code"], body["message"]
    if code not in KNOWN_CODES or not isinstance(message, str) or not message:
        return f"{status} error with unknown code {code!r} or empty message"
    expected = HTTP_STATUS[ErrorCode(code)]
    if expected != status and not (status < 500 and expected < 500):  # e.g. 405 ENDPOINT_NOT_FOUND
        return f"status {status} does not match error code {code}"
    return "traceback text in the body" if LEAKS.search(text) else None


def _deliberate(status: int, raw: bytes) -> bool:
    """501 NOT_IMPLEMENTED and 503 TEMPORARILY_UNAVAILABLE are answers the server means to give
    (checked like any other error below); a 500 never is."""
    try:
        code = json.loads(raw).get("error_code")
    except (ValueError, AttributeError):
        return False
    return status != 500 and code in KNOWN_CODES and HTTP_STATUS[ErrorCode(code)] == status


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


class Fuzzer:
    """The seeded app's test client, counting requests and answers that break the contract."""

    def __init__(self, app, pool):
        self.app, self.client, self.pool = app, app.test_client(), pool
        self.endpoints = api_endpoints(app)
        self.meaningful = pool.strategies()
        self.clean = pool.clean_strategies()
        self.statuses: Counter[int] = Counter()  # answers by HTTP status; 500 also counts raises
        self.problems: list[str] = []
        self.instance_files: set[str] = set()  # the instance folder's entries before fuzzing
        self._bodies = {}
        self._since_revive = 0

    def body(self, endpoint: Endpoint):
        """Bodies shaped by the endpoint's request schema (or MLflow field names without one):
        half hostile, half well-formed requests about the seeded ids."""
        if endpoint.rule not in self._bodies:
            registry = "registered-models" in endpoint.rule or "model-versions" in endpoint.rule
            names = self.pool.model_names if registry else self.pool.experiment_names
            clean = {**self.clean, "name": mix(st.sampled_from(names), st.sampled_from(names), SANE_TEXT),
                     **valid_search(endpoint.rule)}
            self._bodies[endpoint.rule] = loose_body(self.meaningful) if endpoint.schema is None else \
                st.one_of(schema_body(endpoint.schema, self.meaningful),
                          schema_body(endpoint.schema, clean, hostile=False))
        return self._bodies[endpoint.rule]

    def path(self, endpoint: Endpoint):
        """The rule with each URL variable filled in: real ids, artifact paths or junk."""
        values = {}
        for converter, name in endpoint.arguments:
            if name == "model_id":
                values[name] = _quote(mix(self.meaningful["model_id"], TEXT), False)
            elif name == "action":
                values[name] = st.sampled_from(["create", "complete", "abort", "x", ""])
            elif converter == "path":
                values[name] = _quote(mix(self.meaningful["path"], self.meaningful["path"],
                                          self.meaningful["key"], TEXT), True)
            else:
                values[name] = _quote(mix(self.meaningful["key"], NASTY_TEXT, TEXT), False)
        return st.fixed_dictionaries(values).map(
            lambda parts: _ARGUMENT.sub(lambda m: parts[m.group(2)], endpoint.rule))

    def send(self, method: str, path: str, *, body=None, data: bytes | None = None,
             content_type: str | None = None, query: str = "", ascii_json: bool = True,
             headers: dict | None = None) -> str | None:
        """Send one request; returns what broke the contract, or None."""
        self._since_revive += 1
        if self._since_revive > REVIVE_EVERY:
            self._since_revive = 0
            revive(self)
        if body is not None:
            data = _utf8(json.dumps(body, ensure_ascii=ascii_json))
            content_type = content_type or "application/json"
        described = (f"{method} {path}?{query[:300]} body={(data or b'')[:300]!r} ({content_type}) "
                     f"headers={headers or {}}")
        try:
            response = self.client.open(path, method=method, data=data, content_type=content_type,
                                        query_string=query, headers=headers)
        except Exception as exc:  # the error handlers themselves failed
            self.statuses[500] += 1
            problem = f"raised {type(exc).__name__}: {exc}"
        else:
            self.statuses[response.status_code] += 1
            problem = contract_problem(method, response)
            if problem:
                problem += f": {response.get_data()[:500]!r}"
        if problem:
            self.problems.append(f"{described} -> {problem}")
            return f"{described} -> {problem}"
        return None

    def send_fields(self, endpoint: Endpoint, path: str, fields: dict, ascii_json: bool = True):
        """GET reads fields from the query string (repeated keys for lists); others from JSON."""
        if endpoint.method == "GET":
            return self.send("GET", path, query=query_string(fields))
        return self.send(endpoint.method, path, body=fields, ascii_json=ascii_json)


def _quote(values, keep_slashes: bool):
    return values.map(lambda v: urllib.parse.quote(_utf8(v), safe="/" if keep_slashes else ""))


def query_string(fields: dict) -> str:
    pairs = []
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            text = item if isinstance(item, str) else json.dumps(item)
            pairs.append((key, _utf8(text)))
    return urllib.parse.urlencode(pairs)


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory):
    """One seeded server for the whole module; prints the figures when the module is done."""
    instance = tmp_path_factory.mktemp("fuzz")
    app = make_app(instance)
    (instance / "outside.txt").write_text("must survive")
    fuzzer = Fuzzer(app, seed(app.test_client()))
    fuzzer.instance_files = set(os.listdir(instance))  # nothing may appear beside them
    started, cpu = time.perf_counter(), time.process_time()
    yield fuzzer
    statuses = fuzzer.statuses
    server = sum(n for status, n in statuses.items() if status >= 500)
    rows = {table: _rows(app, f"SELECT count(*) FROM {table}")[0][0]
            for table in ("experiments", "runs", "metrics", "params", "run_tags", "model_versions")}
    print(f"\nAPI fuzz: {statuses.total()} requests over {len(fuzzer.endpoints)} endpoint/method "
          f"pairs in {time.perf_counter() - started:.1f} s ({time.process_time() - cpu:.1f} s CPU): "
          f"{statuses[500]} answered 500 ({server} any 5xx), {len(fuzzer.problems)} broke the "
          f"error contract; by status "
          + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
          + "; rows afterwards " + ", ".join(f"{table}: {n}" for table, n in rows.items()))


def test_every_endpoint_answers_any_method_and_broken_body_in_mlflow_json(fuzz):
    """A fixed sweep, so every route is hit whatever hypothesis draws: its own methods with
    broken bodies, every other method with none."""
    broken = [None, b"{}", b"{", b"[]", b"null", b"\xff\xfe", b'{"name": "\\ud800"}', b"[" * 100_000,
              b'{"experiment_id": {"a": [1, {"b": null}]}, "max_results": 1e999, "run_id": []}']
    own = {}
    for endpoint in fuzz.endpoints:
        own.setdefault(endpoint.rule, set()).add(endpoint.method)
    problems = []
    for rule in sorted(own) + list(UNKNOWN_PATHS):
        path = _ARGUMENT.sub(lambda m: _first_value(fuzz, m.group(1), m.group(2)), rule)
        for method in METHODS:
            for data in broken if method in own.get(rule, ()) else [None]:
                problems.append(fuzz.send(method, path, data=data, content_type="application/json"))
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems[:20])


def _first_value(fuzz, converter: str, name: str) -> str:
    if name == "model_id":
        return fuzz.pool.model_ids[0]
    if name == "action":
        return "create"
    return fuzz.pool.artifact_paths[0] if converter == "path" else "k"


@fuzz_settings(700)
@given(data=st.data())
def test_schema_shaped_requests_get_a_success_or_mlflow_error_json(fuzz, data):
    endpoint = data.draw(st.sampled_from(fuzz.endpoints), label="endpoint")
    path = data.draw(fuzz.path(endpoint), label="path")
    fields = data.draw(fuzz.body(endpoint), label="fields")
    ascii_json = data.draw(st.sampled_from([True, True, True, False]), label="ascii_json")
    problem = fuzz.send_fields(endpoint, path, fields, ascii_json)
    assert problem is None, problem


@fuzz_settings(250)
@given(data=st.data())
def test_url_variables_get_a_success_or_mlflow_error_json(fuzz, data):
    """Routes with variables in the path (artifact paths, model ids): hostile paths, any bytes."""
    endpoint = data.draw(st.sampled_from([e for e in fuzz.endpoints if e.arguments]), label="endpoint")
    path = data.draw(fuzz.path(endpoint), label="path")
    raw = data.draw(st.one_of(st.binary(max_size=32), st.just(b"")), label="raw")
    problem = fuzz.send(endpoint.method, path, data=raw)
    assert problem is None, problem


@fuzz_settings(200)
@given(data=st.data())
def test_any_json_value_or_query_gets_a_success_or_mlflow_error_json(fuzz, data):
    endpoint = data.draw(st.sampled_from(fuzz.endpoints), label="endpoint")
    path = data.draw(fuzz.path(endpoint), label="path")
    body = data.draw(st.one_of(JSON_VALUES, loose_body(fuzz.meaningful)), label="body")
    query = data.draw(st.one_of(st.just(""), RAW_QUERIES), label="query")
    if endpoint.method == "GET" and isinstance(body, dict):
        query = query or query_string(body)
    problem = fuzz.send(endpoint.method, path, body=body, query=query)
    assert problem is None, problem


@fuzz_settings(200)
@given(data=st.data())
def test_bodies_that_are_not_json_or_odd_headers_get_a_success_or_mlflow_error_json(fuzz, data):
    endpoint = data.draw(st.sampled_from(fuzz.endpoints), label="endpoint")
    path = data.draw(fuzz.path(endpoint), label="path")
    raw = data.draw(RAW_BODIES, label="raw")
    content_type = data.draw(CONTENT_TYPES, label="content_type")
    query = data.draw(st.one_of(st.just(""), RAW_QUERIES), label="query")
    headers = data.draw(HEADERS, label="headers")
    problem = fuzz.send(endpoint.method, path, data=raw, content_type=content_type, query=query,
                        headers=headers)
    assert problem is None, problem


@fuzz_settings(400)
@given(data=st.data())
def test_filter_strings_on_search_endpoints_get_results_or_mlflow_error_json(fuzz, data):
    searches = [e for e in fuzz.endpoints if e.schema is not None and "filter" in e.schema.fields]
    assert len(searches) >= 4, "the fuzzer no longer finds the search endpoints' request schemas"
    endpoint = data.draw(st.sampled_from(searches), label="endpoint")
    clean, meaningful = {**fuzz.clean, **valid_search(endpoint.rule)}, fuzz.meaningful
    view_types = st.sampled_from(["ACTIVE_ONLY", "DELETED_ONLY", "ALL"])
    hostile = st.fixed_dictionaries({"filter": FILTERS}, optional={
        "order_by": ORDER_BY_LISTS, "max_results": st.sampled_from([1, 2, 10, 1000, 50_000, 0, -1]),
        "page_token": st.one_of(st.sampled_from(fuzz.pool.page_tokens), PAGE_TOKENS),
        "experiment_ids": meaningful["experiment_ids"], "run_view_type": view_types, "view_type": view_types})
    # Otherwise each part is valid but one, so that order_by and paging are reached too.
    valid = st.fixed_dictionaries({
        "filter": mix(FILTERS, clean["filter"], clean["filter"]), "experiment_ids": clean["experiment_ids"],
        "order_by": mix(ORDER_BY_LISTS, clean["order_by"], clean["order_by"], MANY_ORDER_KEYS),
    }, optional={"max_results": st.integers(1, 1000), "run_view_type": view_types, "view_type": view_types})
    fields = data.draw(mix(hostile, valid), label="fields")
    if isinstance(getattr(endpoint.schema.fields.get("order_by"), "inner", None), mm.Nested):
        field_names = st.one_of(st.sampled_from(["creation_timestamp", "name", "metrics.m1",
                                                 "last_updated_timestamp"]), TEXT)
        fields["order_by"] = data.draw(st.one_of(
            st.lists(st.fixed_dictionaries({"field_name": field_names}, optional={
                "ascending": st.one_of(st.booleans(), JSON_VALUES),
                "dataset_name": TEXT, "dataset_digest": TEXT}), max_size=3),
            st.sampled_from([21, 65]).map(lambda n: [{"field_name": f"metrics.k{i}"} for i in range(n)]),
        ), label="order_by")
    problem = fuzz.send_fields(endpoint, endpoint.rule, fields)
    assert problem is None, problem


METRIC_VALUES = st.one_of(st.sampled_from([0, 0.0, -0.0, 1, -1, 0.5, 1e308, -1e308, 5e-324, 2**63, "NaN",
                                            "Infinity", "-Infinity", "1e309", "-1e309", "7"]),
                          st.floats(-10, 10, allow_nan=False))
METRICS = st.lists(st.fixed_dictionaries({
    "key": st.sampled_from(["m1", "m2", "loss"]), "value": METRIC_VALUES,
    "timestamp": st.sampled_from([0, 1, 2, 1000, 2**63 - 1, -(2**63)]),
}, optional={"step": st.sampled_from([0, 1, 2, 2**63 - 1, -(2**63), -1])}), min_size=1, max_size=8)


@fuzz_settings(150)
@given(data=st.data())
def test_metric_logging_gets_a_success_or_mlflow_error_json(fuzz, data):
    """Points that tie on step and timestamp, NaN and the infinities, int64's ends: what the
    latest-value bookkeeping must get right (checked at the end of the module)."""
    endpoint = data.draw(st.sampled_from([e for e in fuzz.endpoints if e.rule.endswith(
        ("/runs/log-batch", "/runs/log-metric"))]), label="endpoint")
    run_id = data.draw(st.sampled_from(fuzz.pool.live_run_ids), label="run_id")
    metrics = data.draw(METRICS, label="metrics")
    body = {"run_id": run_id, "metrics": metrics} if endpoint.rule.endswith("log-batch") else \
        {"run_id": run_id, **metrics[0]}
    problem = fuzz.send(endpoint.method, endpoint.rule, body=body)
    assert problem is None, problem


def test_database_is_consistent_and_nothing_leaked_after_fuzzing(fuzz):
    """Runs last in this module: the state every request above left behind."""
    assert not fuzz.problems, "\n".join(fuzz.problems[:20])
    instance = fuzz.app.instance_path
    query = functools.partial(_rows, fuzz.app)
    if fuzz.app.config["DATABASE_URI"].startswith("sqlite"):  # PostgreSQL enforces foreign keys itself
        assert query("PRAGMA integrity_check") == [("ok",)]
        assert query("PRAGMA foreign_key_check") == []
    assert latest_metric_mismatches(query) == []
    assert query(ORPHAN_ALIASES) == []
    assert query(UNLISTED_KEYS) == []
    assert (open(os.path.join(instance, "outside.txt")).read()) == "must survive"
    assert set(os.listdir(instance)) <= fuzz.instance_files | {"mlexp.sqlite-wal", "mlexp.sqlite-shm"}
    leftovers = [name for _, _, files in os.walk(os.path.join(instance, "packages"))
                 for name in files if name.startswith(TEMP_PREFIX)]
    assert leftovers == []


def _rows(app, sql: str) -> list[tuple]:
    """Rows of one statement on the app's database (a SQLite file, or PostgreSQL under --postgres)."""
    engine = create_engine(app.config["DATABASE_URI"])
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def latest_metric_mismatches(query) -> list:
    """(run, key) whose latest_metrics row is not the largest (step, timestamp, value) logged."""
    columns = "run_id, key, step, timestamp, value, is_nan"
    best = {}  # (run, key) -> (its largest rank, the rows that have it)
    for run_id, key, step, timestamp, value, is_nan in query(f"SELECT {columns} FROM metrics"):
        rank, row = (step, timestamp, value), (step, timestamp, value, bool(is_nan))
        if (run_id, key) not in best or rank > best[(run_id, key)][0]:
            best[(run_id, key)] = (rank, {row})
        elif rank == best[(run_id, key)][0]:
            best[(run_id, key)][1].add(row)
    latest = {(run_id, key): (step, timestamp, value, bool(is_nan)) for run_id, key, step, timestamp,
              value, is_nan in query(f"SELECT {columns} FROM latest_metrics")}
    wrong = [(k, latest.get(k), sorted(rows)) for k, (_, rows) in best.items() if latest.get(k) not in rows]
    return wrong + [(k, row, None) for k, row in latest.items() if k not in best]


# An alias must name a version that exists.
ORPHAN_ALIASES = """
SELECT a.model_pk, a.alias, a.version FROM registered_model_aliases a
WHERE NOT EXISTS (SELECT 1 FROM model_versions v WHERE v.model_pk = a.model_pk AND v.version = a.version)
"""
# Every logged param and metric key is a column of its experiment's runs table.
UNLISTED_KEYS = """
SELECT r.experiment_id, 'param', p.key FROM params p JOIN runs r ON r.id = p.run_id
WHERE NOT EXISTS (SELECT 1 FROM experiment_keys k
                  WHERE k.experiment_id = r.experiment_id AND k.kind = 'param' AND k.key = p.key)
UNION ALL
SELECT r.experiment_id, 'metric', m.key FROM latest_metrics m JOIN runs r ON r.id = m.run_id
WHERE NOT EXISTS (SELECT 1 FROM experiment_keys k
                  WHERE k.experiment_id = r.experiment_id AND k.kind = 'metric' AND k.key = m.key)
"""
