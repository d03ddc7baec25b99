"""Run JSON built by the database: the one serializer of MLflow's Run and RunInfo, for get-run,
create-run, update-run and search pages, on SQLite and PostgreSQL alike.

Why in SQL: a 1,000-run search page holds ~30,000 params, tags and metrics. Built in Python from
rows read in bulk (a dict each, then orjson) it cost 46-50 ms of CPU, 22 of them just reading the
rows, and twice the server CPU per page at the wire; SQLite's JSON functions build it in 23 ms,
and PostgreSQL in 43 ms where the Python path took 92 (wall time). So the shape is described once
here, which is why MLflow's Run field names live in this module rather than in schemas/, and
storage/json_sql.py spells it per dialect, byte for byte alike.

Metric values are latest_metrics.value_json, Python's repr written at logging time, so doubles
are spelled as MLflow spells them (1e-05, -0.0, 1e+16); SQLite's own JSON numbers keep only 15
digits. Rows written before that column existed fall back to the database's text of the double.
"""
from mlexp import names
from mlexp.errors import NotFound
from mlexp.extensions import db
from mlexp.storage.json_sql import JsonSql, json_sql

_MAX_DOUBLE = "1.7976931348623157e308"


def _info(j: JsonSql) -> str:
    """RunInfo of the run aliased r; end_time only once set."""
    return j.obj(("run_id", j.text("r.uuid")), ("run_uuid", j.text("r.uuid")),
                 ("run_name", j.text("r.name")), ("experiment_id", j.text("CAST(r.experiment_id AS TEXT)")),
                 ("user_id", j.text("r.user_id")), ("status", j.text("r.status")),
                 ("start_time", j.number("r.start_time")),
                 ("end_time", j.number("r.end_time"), j.OPTIONAL),
                 ("artifact_uri", j.text(names.run_artifact_uri_sql("r.experiment_id", "r.iid"))),
                 ("lifecycle_stage", j.text("r.lifecycle_stage")))


def _metric_value(j: JsonSql) -> str:
    """A latest metric's value as protobuf JSON: NaN and the infinities travel as strings."""
    finite = j.raw(f"coalesce(m.value_json, {j.double_text('m.value')})")
    return (f"CASE WHEN m.is_nan THEN {j.string_literal('NaN')} "
            f"WHEN m.value > {_MAX_DOUBLE} THEN {j.string_literal('Infinity')} "
            f"WHEN m.value < -{_MAX_DOUBLE} THEN {j.string_literal('-Infinity')} ELSE {finite} END")


def _pairs(j: JsonSql, source: str, where: str) -> str:
    """[{key, value}] of a key-value table aliased t, by key: its primary key is (owner, key)."""
    pair = j.obj(("key", j.text("t.key")), ("value", j.text("t.value")))
    return j.array(pair, source, where, j.by_bytes("t.key"))


def _models(j: JsonSql, direction: str, *members: tuple) -> str:
    """The run's model links in one direction, by step then model id; NULL when there are none."""
    return j.array(j.obj(("model_id", j.text("l.model_id")), *members), "run_model_links l",
                   f"l.run_id = r.id AND l.direction = '{direction}'", f"l.step, {j.by_bytes('l.model_id')}",
                   by_index=False, null_when_empty=True)


def _inputs(j: JsonSql) -> str:
    """RunInputs: dataset inputs (with their tags) and model inputs, each only when there are any;
    dataset inputs in the order logged (the run_id index holds them by id)."""
    dataset = j.obj(("name", j.text("d.name")), ("digest", j.text("d.digest")),
                    ("source_type", j.text("d.source_type")), ("source", j.text("d.source")),
                    ("schema", j.text('d."schema"'), j.OPTIONAL),
                    ("profile", j.text("d.profile"), j.OPTIONAL))
    dataset_input = j.obj(("tags", _pairs(j, "input_tags t", "t.input_id = i.id")), ("dataset", dataset))
    dataset_inputs = j.array(dataset_input, "run_inputs i JOIN datasets d ON d.id = i.dataset_id",
                             "i.run_id = r.id", "i.id", null_when_empty=True)
    return j.obj(("dataset_inputs", dataset_inputs, j.OPTIONAL),
                 ("model_inputs", _models(j, "input"), j.OPTIONAL))


def _outputs(j: JsonSql) -> str:
    return j.obj(("model_outputs", _models(j, "output", ("step", j.number("l.step"))), j.OPTIONAL))


def _run(j: JsonSql) -> str:
    """Run of the run aliased r: info, data (latest metrics, params, tags), inputs and outputs."""
    metric = j.obj(("key", j.text("m.key")), ("value", _metric_value(j)),
                   ("timestamp", j.number("m.timestamp")), ("step", j.number("m.step")))
    metrics = j.array(metric, "latest_metrics m", "m.run_id = r.id", j.by_bytes("m.key"))
    data = j.obj(("metrics", metrics),
                 ("params", _pairs(j, "params t", "t.run_id = r.id")),
                 ("tags", _pairs(j, "run_tags t", "t.run_id = r.id")))
    return j.obj(("info", _info(j)), ("data", data), ("inputs", _inputs(j)), ("outputs", _outputs(j)))


_STATEMENTS: dict[tuple[str, str, str], str] = {}


def _statement(what: str, key: str) -> tuple[str, JsonSql]:
    """The SELECT of (r.id, JSON) for runs chosen by `key` ("ids": a list of run ids, "uuid",
    "id"), in the database's dialect; built once per dialect."""
    j = json_sql(db.engine.dialect)
    sql = _STATEMENTS.get((j.name, what, key))
    if sql is None:
        where = {"ids": j.in_list("r.id"), "uuid": f"r.uuid = {j.marker}", "id": f"r.id = {j.marker}"}[key]
        body = _run(j) if what == "run" else _info(j)
        sql = _STATEMENTS[(j.name, what, key)] = f"SELECT r.id, {body} FROM runs r WHERE {where}"
    return sql, j


def _rows(sql: str, params: tuple) -> list[tuple]:
    """Straight on a DB-API cursor (a page's JSON is a few MB, which SQLAlchemy's result processing
    would only copy): the session's connection when it holds one, as a search page does after
    reading its run ids there, else a pooled connection of its own, which costs a tenth of
    starting the session's (create-run and update-run read back after their write)."""
    session = db.session.registry() if db.session.registry.has() else None  # not made just to ask
    own = None if session is not None and session.in_transaction() else db.engine.raw_connection()
    connection = own or session.connection().connection.dbapi_connection
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchall()
        finally:
            cursor.close()
    finally:
        if own is not None:
            own.close()  # back to the pool


def runs_json(run_ids: list[int]) -> bytes:
    """The Run JSON of each of these runs (by internal id), comma-separated in the order given;
    a run removed for good since its id was read (`gc`) is left out."""
    if not run_ids:
        return b""
    sql, j = _statement("run", "ids")
    built = dict(_rows(sql, (j.list_param(run_ids),)))
    return ",".join([built[i] for i in run_ids if i in built]).encode()


def run_json(run_id: str) -> bytes:
    """The Run JSON of the run with this (MLflow) id, in any lifecycle stage.

    Raises:
        NotFound: no run has this id.
    """
    sql, _ = _statement("run", "uuid")
    found = _rows(sql, (run_id,))
    if not found:
        raise NotFound(f"Run with id={run_id} not found")
    return found[0][1].encode()


def run_info_json(run_pk: int) -> bytes:
    """The RunInfo JSON of the run with this internal id (which must exist)."""
    sql, _ = _statement("info", "id")
    return _rows(sql, (run_pk,))[0][1].encode()
