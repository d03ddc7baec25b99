"""Hypothesis strategies for the API fuzzer: hostile values, filter strings and request bodies.

Values mix ids that exist in the seeded server (a `Pool`) with generated text, edge-case
numbers, nulls, lists and nested objects, so requests reach past validation into the services.
"""
import base64
import json
from dataclasses import dataclass, field

from hypothesis import strategies as st
from marshmallow import fields

from mlexp.schemas.base import ProtoDouble, ProtoEnum, ProtoInt


def mix(*options):
    """Pick one of the strategies, each as likely as its repeats make it (st.one_of would flatten
    nested one_ofs and weigh their branches instead)."""
    return st.sampled_from(options).flatmap(lambda chosen: chosen)


# Field names MLflow requests use; endpoints without a request schema get these.
FIELD_NAMES = (
    "experiment_id", "experiment_ids", "experiment_name", "run_id", "run_uuid", "name", "new_name",
    "key", "value", "timestamp", "step", "metrics", "params", "tags", "filter", "filter_string",
    "order_by", "max_results", "page_token", "run_view_type", "view_type", "path", "version",
    "alias", "stage", "stages", "model_id", "metric_key", "status", "end_time", "start_time",
    "run_name", "user_id", "source", "run_link", "description", "artifact_location", "datasets",
    "models", "source_run_id", "model_type", "allow_deleted", "archive_existing_versions",
    "artifact_directory_path", "dataset", "digest", "source_type", "schema", "profile",
)

NASTY_TEXT = st.sampled_from([
    "", " ", "\t", "\n", "\x00", "a\x00b", "\x7f", "\ud800", "a\udfffb", "\u202e", "\ufeff",
    "日本語", "é", "🙂", "'", '"', "`", "\\", "%", "_", "%_", "*", "?", "/", "//", ".", "..",
    "../..", "../../etc/passwd", "/etc/passwd", "C:\\x", "C:", "a/../b", "./a", "a/", "a//b",
    "'; DROP TABLE runs; --", "\" OR 1=1 --", "' OR '1'='1", "NULL", "null", "None", "true",
    "{}", "[]", "{{7*7}}", "<script>alert(1)</script>", "$(id)", "%s%s%n", "%00", "%2e%2e",
    "a" * 250, "a" * 251, "a" * 256, "a" * 501, "x" * 6001, "x" * 8001, "x" * 20001,
    "mlflow.runName", "mlflow.user", "mlflow.parentRunId", "mlflow.note.content",
])

SPECIAL_INTS = st.sampled_from([
    0, 1, -1, 2, 255, 1000, 1001, 50_000, 50_001, 200_001, 2**31, 2**53 + 1,
    2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, 10**30, -(10**30), 10**400,
])
INTS = st.one_of(st.integers(-1000, 1000), SPECIAL_INTS, st.integers())
NUMBER_STRINGS = st.sampled_from([
    "0", "1", "-1", " 7 ", "1.0", "1e3", "1e309", "-1e309", "NaN", "nan", "Infinity",
    "-Infinity", "inf", "0x10", "1_000", "١٢٣", "9" * 30, "9" * 5000, "", "abc",
])
FLOATS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(
    [0.0, -0.0, 1e308, -1e308, 5e-324, 1.7976931348623157e308, 0.1 + 0.2]))
TEXT = st.one_of(st.text(max_size=20), NASTY_TEXT)
SCALARS = st.one_of(st.none(), st.booleans(), INTS, FLOATS, NUMBER_STRINGS, TEXT)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8)), inner, max_size=4)),
    max_leaves=6,
)

# --- filter and order_by strings ---------------------------------------------------------------

IDENTIFIERS = st.sampled_from([
    "metrics.m1", "metrics.loss", "metrics.`m 1`", 'metrics."m1"', "params.p1", "params.`p 1`",
    "tags.t1", "tags.`mlflow.runName`", 'tags."mlflow.user"', "tags.'x'", "attributes.status",
    "attributes.run_name", "attributes.start_time", "attributes.end_time", "attributes.run_id",
    "attributes.artifact_uri", "attributes.user_id", "attributes.created", "attributes.name",
    "attributes.creation_time", "attributes.last_update_time", "attributes.model_id",
    "attributes.experiment_id", "datasets.name", "datasets.digest", "datasets.context", "name",
    "run_name", "status", "start_time", "creation_timestamp", "last_updated_timestamp",
    "version_number", "source_path", "run_id", "tags", "metrics", "params", "attributes", "x",
    "metrics.", "tags.`", "`", "metrics.m1.m2",
])
COMPARATORS = st.sampled_from(["=", "!=", "<>", "<", ">", "<=", ">=", "==", "LIKE", "ILIKE",
                               "like", "IN", "NOT IN", "IS", "IS NOT", "=~", ""])
FILTER_VALUES = st.one_of(
    st.sampled_from(["'a'", '"a"', "'%'", "'_'", "'%a%'", "1", "-1.5", "1e309", "NaN", "'NaN'",
                     "NULL", "('a', 'b')", "('a')", "()", "(1, 2)", "('a',)", "'", "`a`",
                     "'FINISHED'", "'RUNNING'", "9223372036854775808", "'" + "x" * 300 + "'"]),
    st.text(max_size=12).map(lambda t: "'" + t.replace("'", "") + "'"),
    INTS.map(str), FLOATS.map(repr),
)
CLAUSES = st.builds(lambda i, c, v: f"{i} {c} {v}", IDENTIFIERS, COMPARATORS, FILTER_VALUES)
# What each search accepts, so that requests get past the parser into the SQL.
VALID = {  # resource: (filter clauses, order_by clauses)
    "runs": (["metrics.m1 > 0", "params.p1 = '1'", "tags.t1 != 'x'", "attributes.status = 'RUNNING'",
              "datasets.name = 'ds'", "attributes.run_name LIKE 'r%'", "metrics.loss IS NULL"],
             ["metrics.m1 DESC", "params.p1", "tags.t1 ASC", "attributes.start_time", "metrics.loss"]),
    "experiments": (["name = 'fuzz-a'", "name LIKE 'fuzz%'", "tags.team = 'x'",
                     "attributes.creation_time > 0"],
                    ["name", "creation_time DESC", "last_update_time", "experiment_id ASC"]),
    "logged-models": (["metrics.m1 > 0", "params.p1 = '1'", "name = 'lm'",
                       "status = 'LOGGED_MODEL_READY'"], []),
    "registered-models": (["name = 'fuzz-model'", "name LIKE 'f%'", "tags.k = 'v'"],
                          ["name DESC", "creation_timestamp", "last_updated_timestamp ASC"]),
    "model-versions": (["name = 'fuzz-model'", "version_number > 0", "tags.k = 'v'", "run_id = 'x'"],
                       ["name", "creation_timestamp DESC", "last_updated_timestamp"]),
}
VALID_CLAUSES = st.sampled_from(sorted({c for clauses, _ in VALID.values() for c in clauses}))


def valid_search(rule: str) -> dict:
    """Well-formed filter and order_by values for the search at `rule` (runs' by default)."""
    resource = next((r for r in ("logged-models", "registered-models", "model-versions",
                                 "experiments") if r in rule), "runs")
    clauses, order_by = VALID[resource]
    return {
        "filter": st.one_of(st.just(""), st.lists(st.sampled_from(clauses), min_size=1, max_size=3)
                            .map(" AND ".join)),
        "order_by": st.lists(st.sampled_from(order_by), max_size=2, unique_by=lambda c: c.split()[0])
        if order_by else st.just([]),
    }


FRAGMENTS = st.sampled_from([
    "metrics", "params", "tags", "attributes", ".", "`", "'", '"', " ", "=", "<", ">=", "AND",
    "and", "OR", "IN", "NOT", "LIKE", "(", ")", ",", "1", "-", "\\", "\n", "é", "%", "*",
])


def _repeat(clause: str, times: int, joiner: str) -> str:
    return joiner.join([clause] * times)


FILTERS = st.one_of(
    CLAUSES,
    st.lists(CLAUSES, min_size=1, max_size=5).map(" AND ".join),
    st.lists(st.one_of(CLAUSES, FRAGMENTS), max_size=8).map(" ".join),
    st.lists(FRAGMENTS, max_size=12).map("".join),
    st.text(max_size=40),
    NASTY_TEXT,
    # Deep or huge filters: thousands of clauses, long IN lists.
    st.builds(_repeat, st.one_of(VALID_CLAUSES, CLAUSES), st.sampled_from([99, 101, 1100, 5000]),
              st.sampled_from([" AND ", " and ", " OR "])),
    st.builds(lambda key, n: key + " IN (" + ", ".join(f"'{i}'" for i in range(n)) + ")",
              st.sampled_from(["tags.t1", "name", "run_id", "attributes.run_id", "params.p1"]),
              st.sampled_from([1, 200, 1000, 5000])),
    st.sampled_from([100, 1000]).map(lambda n: "(" * n + "metrics.m1 > 1" + ")" * n),
)
ORDER_BY = st.one_of(
    st.builds(lambda i, d: f"{i}{d}", IDENTIFIERS,
              st.sampled_from(["", " ASC", " DESC", " asc", " DOWN", " ASC DESC", ","])),
    st.text(max_size=20), NASTY_TEXT,
)
# Many distinct keys: each one is a join of its own.
MANY_ORDER_KEYS = st.builds(lambda kind, n: [f"{kind}.k{i}" for i in range(n)],
                            st.sampled_from(["metrics", "params", "tags"]), st.sampled_from([21, 65]))
ORDER_BY_LISTS = mix(st.lists(ORDER_BY, max_size=4), ORDER_BY,
                     st.integers(1, 3).map(lambda n: ["metrics.m1"] * (n * 100)), MANY_ORDER_KEYS)


def _b64(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


PAGE_TOKENS = st.one_of(
    st.sampled_from(["", "x", "====", "e30=", "bnVsbA==", "W10=", "%%%", "\x00"]),
    JSON_VALUES.map(_b64),
    st.fixed_dictionaries({"offset": JSON_VALUES}).map(_b64),
    st.fixed_dictionaries({"after": JSON_VALUES, "query": TEXT}).map(_b64),
    st.text(max_size=30),
)

SEGMENTS = st.sampled_from([
    "..", ".", "", "models", "artifacts", "1", "0", "²", "١", "9" * 25, "x" * 256, "é" * 128,
    "d/" * 600, "data.txt", "MLmodel", "ml_experiment_1", "ml_experiment_0", "ml_experiment_²",
    ".mlexp-upload-x", "~", "$HOME", "con", "a b", "a:b",
])

# --- the seeded server's ids -----------------------------------------------------------------


@dataclass
class Pool:
    """Names and ids that exist (or once existed) in the seeded server."""

    experiment_ids: list = field(default_factory=lambda: ["0"])
    experiment_names: list = field(default_factory=lambda: ["Default"])
    run_ids: list = field(default_factory=list)
    model_names: list = field(default_factory=list)
    versions: list = field(default_factory=lambda: ["1", "2", "3", "0", "-1", "1.0", " 1", "9" * 20])
    aliases: list = field(default_factory=lambda: ["champion", "latest", "v1"])
    model_ids: list = field(default_factory=list)
    keys: list = field(default_factory=lambda: ["m1", "loss", "p1", "t1", "mlflow.runName", "a/b"])
    artifact_paths: list = field(default_factory=list)
    page_tokens: list = field(default_factory=list)
    live_experiment_ids: list = field(default_factory=list)  # seeded alive: revive restores them
    live_run_ids: list = field(default_factory=list)

    def clean_strategies(self) -> dict:
        """Values by field name for well-formed requests: real ids, valid filters."""
        def real(values):
            return st.sampled_from(list(values))
        run_ids = real(self.run_ids)
        return {
            "artifact_location": st.none(),  # mlexp chooses it; null means unset
            "experiment_id": real(self.experiment_ids[:3]),
            "experiment_ids": st.lists(real(self.experiment_ids[:4]), min_size=1, max_size=3),
            "run_id": run_ids, "run_uuid": run_ids, "source_run_id": run_ids,
            "name": real(self.experiment_names + self.model_names),
            "experiment_name": real(self.experiment_names), "new_name": SANE_TEXT,
            "key": real(self.keys), "metric_key": real(self.keys), "model_id": real(self.model_ids),
            "version": st.sampled_from(["1", "2"]), "alias": real(self.aliases),
            "stage": st.sampled_from(["Staging", "Production", "Archived", "None"]),
            "stages": st.lists(st.sampled_from(["Staging", "Production", "None"]), max_size=2),
            **valid_search("runs"),
            "page_token": real(self.page_tokens), "max_results": st.integers(1, 1000),
            "path": real(self.artifact_paths[:6]), "artifact_directory_path": st.sampled_from(["", "sub"]),
            "source": real([f"runs:/{r}/model" for r in self.run_ids[:2]]
                           + [f"models:/{m}" for m in self.model_ids]),
        }

    def strategies(self) -> dict:
        """Meaningful values by field name: mostly real, sometimes almost real."""
        def real(values, *extra):
            return st.sampled_from(list(values) + list(extra))
        experiment_ids = real(self.experiment_ids, "999999", "-1", "1.5", "abc", " 0")
        run_ids = real(self.run_ids, "0" * 32, "f" * 32, self.run_ids[0].upper(), "abc")
        names = real(self.experiment_names + self.model_names)
        model_ids = real(self.model_ids, "m-" + "0" * 32, "m-", "x")
        keys = real(self.keys)
        packages = real([p.rsplit("/", 1)[0] for p in self.artifact_paths if p.count("/") >= 2])
        paths = st.one_of(
            real(self.artifact_paths, "", ".", "..", "a/../..", "/", "x" * 300, "a/" * 200),
            st.builds("/".join, st.lists(st.one_of(TEXT, SEGMENTS), max_size=5)),
            st.builds(lambda base, rest: base + "/" + "/".join(rest), packages,
                      st.lists(st.one_of(TEXT, SEGMENTS), min_size=1, max_size=4)),
        )
        tokens = real(self.page_tokens) if self.page_tokens else PAGE_TOKENS
        return {
            "experiment_id": experiment_ids, "experiment_ids": st.lists(experiment_ids, max_size=4),
            "run_id": run_ids, "run_uuid": run_ids, "source_run_id": run_ids,
            "name": names, "new_name": st.one_of(names, TEXT), "experiment_name": names,
            "key": keys, "metric_key": keys, "model_id": model_ids, "version": real(self.versions),
            "alias": real(self.aliases), "stage": real(["Staging", "Production", "Archived", "None",
                                                        "production", "bogus"]),
            "stages": st.lists(real(["Staging", "Production", "None", "x"]), max_size=3),
            "filter": FILTERS, "filter_string": FILTERS, "order_by": ORDER_BY_LISTS,
            "page_token": st.one_of(tokens, PAGE_TOKENS),
            "max_results": st.one_of(INTS, NUMBER_STRINGS), "path": paths,
            "artifact_directory_path": paths,
            "source": st.one_of(real([f"runs:/{r}/model" for r in self.run_ids[:2]]),
                                real([f"models:/{m}" for m in self.model_ids]), TEXT),
        }


# --- request bodies from request schemas -------------------------------------------------------

SANE_TEXT = st.text("abcxyz0123456789_-. /:", min_size=1, max_size=16)
SANE_DOUBLES = st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from(["NaN", "Infinity", 0]))


def value_for(name: str, field_obj, meaningful: dict, hostile: bool = True):
    """Values for one schema field: real ids and well-typed values; when hostile, also
    edge cases and anything at all."""
    typed = _typed(name, field_obj, meaningful, hostile)
    real = meaningful.get(name)
    if isinstance(field_obj, fields.List) or real is None:
        real = typed  # lists already draw on the meaningful values
    if not hostile:
        return mix(real, real, typed)
    return mix(typed, typed, typed, JSON_VALUES, real, real, real)


def _typed(name: str, field_obj, meaningful: dict, hostile: bool):
    if isinstance(field_obj, fields.List):
        inner = value_for(name + "[]", field_obj.inner, meaningful, hostile)
        lists = st.lists(inner, max_size=4)
        if name in meaningful and not isinstance(field_obj.inner, fields.Nested):
            lists = st.one_of(meaningful[name], lists) if hostile else meaningful[name]
        if not hostile:  # well-formed: each tag or param key once
            keyed = isinstance(field_obj.inner, fields.Nested) and "key" in field_obj.inner.schema.fields
            return st.lists(inner, max_size=4, unique_by=lambda item: item.get("key")) if keyed else lists
        # Over-limit lists repeat one item, so generating them stays cheap.
        many = st.builds(lambda item, n: [item] * n, inner, st.sampled_from([101, 1001]))
        return mix(lists, lists, lists, many)
    if isinstance(field_obj, fields.Nested):
        return schema_body(field_obj.schema, meaningful, hostile)
    if isinstance(field_obj, ProtoInt):
        return st.one_of(INTS, NUMBER_STRINGS) if hostile else st.integers(0, 2 * 10**12)
    if isinstance(field_obj, ProtoDouble):
        return st.one_of(FLOATS, INTS, NUMBER_STRINGS) if hostile else SANE_DOUBLES
    if isinstance(field_obj, ProtoEnum):
        names = st.sampled_from(field_obj.names)
        return st.one_of(names, st.integers(-1, len(field_obj.names) + 1),
                         st.sampled_from(["1", "active_only", "", "ALL "])) if hostile else names
    if isinstance(field_obj, fields.Boolean):
        odd = st.sampled_from(["true", "false", "1", "yes", 0, 1, 2, "x"])
        return st.one_of(st.booleans(), odd) if hostile else st.booleans()
    if isinstance(field_obj, fields.Dict):
        return st.dictionaries(st.text(max_size=8), JSON_VALUES if hostile else SANE_TEXT, max_size=4)
    return meaningful.get(name, TEXT if hostile else SANE_TEXT)


def schema_body(schema, meaningful: dict, hostile: bool = True):
    """A JSON object for `schema`. Hostile: required fields usually present, optional ones
    sometimes, stray keys, camelCase names now and then (protobuf accepts them). Otherwise a
    well-formed request about the seeded ids."""
    required, optional = {}, {}
    for name, field_obj in schema.fields.items():
        key = field_obj.data_key or name
        values = required if field_obj.required else optional
        values[key] = value_for(key, field_obj, meaningful, hostile)
    if not hostile:
        return st.fixed_dictionaries(required, optional=optional)
    if "run_id" in schema.fields:
        optional["run_uuid"] = meaningful.get("run_uuid", TEXT)
    complete = st.fixed_dictionaries(required, optional=optional)
    partial = st.fixed_dictionaries({}, optional={**required, **optional})
    extras = st.dictionaries(st.sampled_from(FIELD_NAMES), JSON_VALUES, max_size=2)
    return st.builds(_merge, mix(complete, complete, complete, partial), extras,
                     st.sampled_from([False, False, False, True]))


def _merge(body: dict, extras: dict, camel: bool) -> dict:
    merged = {**extras, **body}
    if camel:
        merged = {_camel(k): v for k, v in merged.items()}
    return merged


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def loose_body(meaningful: dict):
    """A JSON object of MLflow field names with anything as values."""
    return st.dictionaries(
        st.sampled_from(FIELD_NAMES),
        st.one_of(JSON_VALUES, *[meaningful[k] for k in sorted(meaningful)]), max_size=6)


# --- raw bodies: not JSON, or not what the server expects ---------------------------------------

RAW_BODIES = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([
        b"", b" ", b"\xff\xfe\x00", b"\xc3\x28", b"\xed\xa0\x80", b'{"name": "\xff"}', b"{",
        b'{"a":', b"[]", b"[1, 2]", b"null", b"true", b"1", b"1e999", b'"text"', b"NaN",
        b'{"name": NaN}', b'{"name": "\\ud800"}', b'{"experiment_id": "\\udfff", "key": "\\ud83d"}',
        b'{"run_id": "\\u0000"}', b'{"name": 1e999999}', b'{"max_results": ' + b"9" * 5000 + b"}",
        b"\xef\xbb\xbf{}", b"\x00\x00\x00{", b'{"a": 1, "a": 2}', b"name=x&experiment_id=0",
        b"[" * 100_000, b'{"a":' * 100_000, b"[" * 500 + b"]" * 500,
        b'{"tags": ' + b"[" * 3000 + b"]" * 3000 + b"}",
    ]),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
CONTENT_TYPES = st.sampled_from([
    None, "application/json", "application/json; charset=utf-8", "application/json; charset=latin-1",
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/octet-stream", "application/x-protobuf", "", "garbage/;;;",
])
RAW_QUERIES = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    st.sampled_from(["%", "%zz", "%ff%fe", "a=%ed%a0%80", "=&=&", "&&&", "run_id=%00",
                     "max_results=1&max_results=2", "experiment_ids=0&experiment_ids=%ff",
                     "filter=" + "x" * 10_000, "a[]=1&a[b]=2", "page_token=%25"]),
)
HEADERS = st.fixed_dictionaries({}, optional={
    "Range": st.sampled_from(["bytes=0-1", "bytes=999999-", "bytes=5-2", "bytes=-0", "garbage",
                              "bytes=0-1,3-4"]),
    "If-None-Match": st.sampled_from(["*", '"x"', "garbage"]),
    "If-Modified-Since": st.sampled_from(["Wed, 21 Oct 2099 07:28:00 GMT", "garbage"]),
    "Content-Encoding": st.sampled_from(["gzip", "identity", "garbage"]),
    "Authorization": st.sampled_from(["Bearer x", "Basic %%%", "Basic " + "A" * 300, "garbage", ""]),
    "Accept": st.sampled_from(["text/html", "application/json", "*/*", ""]),
})
