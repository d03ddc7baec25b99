"""Schema migrations: new, older, pre-migration and newer databases at start-up, and models == migrations."""
import io
import json
import os
import subprocess
import sys
import time

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

import mlexp.models  # noqa: F401  (every table on db.metadata)
from mlexp import PROJECT_ROOT, create_app
from mlexp.extensions import db
from mlexp.storage.legacy_schema import adopt_legacy_database
from mlexp.storage.revisions import (
    MIGRATIONS_DIR,
    DatabaseTooNew,
    LegacySchemaError,
    run_alembic,
    script_revisions,
)
from tests import databases
from tests.conftest import Api

RUN_A, RUN_B = "a" * 32, "b" * 32


def _script() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    return ScriptDirectory.from_config(config)


SCRIPT = _script()
HEADS, FIRST = set(SCRIPT.get_heads()), SCRIPT.get_base()


def _db_path(instance) -> str:
    return os.path.join(str(instance), "mlexp.sqlite")


def _url(instance) -> str:
    """The instance's database: its SQLite file, or its own PostgreSQL database under --postgres."""
    configured = databases.instance_config(instance, migrated=False).get("DATABASE_URI")
    return configured or "sqlite:///" + _db_path(instance)


def _engine(instance):
    return create_engine(_url(instance))


def _start(instance):
    """create_app on the instance's (possibly empty) database, as a server start does."""
    return create_app({"TESTING": True, **databases.instance_config(instance, migrated=False)},
                      instance_path=str(instance))


def _env(instance) -> dict:
    return {**os.environ, "MLEXP_INSTANCE": str(instance), **databases.instance_env(instance)}


def _query(instance, sql: str) -> list[tuple]:
    engine = _engine(instance)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def _revisions(instance) -> set[str]:
    return {row[0] for row in _query(instance, "SELECT version_num FROM alembic_version")}


def _differences_from_models(instance) -> list:
    """Alembic's autogenerate comparison of the database with the models (what `db migrate` would write)."""
    engine = _engine(instance)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, db.metadata)
    finally:
        engine.dispose()


def _model_id_index_sql(instance) -> str:
    if _url(instance).startswith("sqlite"):
        (sql,) = _query(instance, "SELECT sql FROM sqlite_master WHERE name = 'ix_metrics_model_id'")[0]
    else:
        (sql,) = _query(instance, "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_metrics_model_id'")[0]
    return sql


def _make_first_revision_database(instance) -> None:
    engine = _engine(instance)
    with engine.begin() as connection:
        run_alembic(connection, "upgrade", FIRST)
    engine.dispose()


def _insert_sample_data(instance, *, dataset_columns: bool = True) -> None:
    """Rows written with the first revision's column names, so the test keeps meaning after later
    migrations change the models."""
    engine = _engine(instance)
    dataset = ", dataset_name, dataset_digest" if dataset_columns else ""
    dataset_values = ", NULL, NULL" if dataset_columns else ""
    try:
        with engine.begin() as connection:
            for sql in (
                ("INSERT INTO experiments (id, name, lifecycle_stage, creation_time, last_update_time, "
                 "last_run_iid) VALUES (0, 'Default', 'active', 1000, 1000, 0), "
                 "(1, 'vision', 'active', 2000, 2000, 2)"),
                "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (1, 'team', 'cv')",
                ("INSERT INTO runs (id, uuid, experiment_id, iid, name, user_id, status, start_time, "
                 "end_time, lifecycle_stage, deleted_time) VALUES "
                 f"(1, '{RUN_A}', 1, 1, 'baseline', 'ann', 'FINISHED', 3000, 4000, 'active', NULL), "
                 f"(2, '{RUN_B}', 1, 2, 'wider', 'ann', 'RUNNING', 5000, NULL, 'active', NULL)"),
                "INSERT INTO params (run_id, key, value) VALUES (1, 'lr', '0.01'), (2, 'lr', '0.1')",
                ("INSERT INTO run_tags (run_id, key, value) VALUES (1, 'mlflow.runName', 'baseline'), "
                 "(1, 'stage', 'dev'), (2, 'mlflow.runName', 'wider')"),
                (f"INSERT INTO metrics (id, run_id, key, value, is_nan, timestamp, step, model_id{dataset}) "
                 f"VALUES (1, 1, 'loss', 0.5, FALSE, 3100, 0, NULL{dataset_values}), "
                 f"(2, 1, 'loss', 0.25, FALSE, 3200, 1, NULL{dataset_values})"),
                ("INSERT INTO latest_metrics (run_id, key, value, is_nan, timestamp, step) "
                 "VALUES (1, 'loss', 0.25, FALSE, 3200, 1)"),
            ):
                connection.execute(text(sql))
            if connection.dialect.name == "postgresql":  # explicit ids leave the sequences behind
                for table in ("experiments", "runs", "metrics"):
                    connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                            f"(SELECT max(id) FROM {table}))"))
    finally:
        engine.dispose()


def _assert_sample_data_served(app) -> None:
    """The rows written before the upgrade read back through the API, and the run counter goes on."""
    api = Api(app.test_client())
    experiment = api.ok_get("/experiments/get-by-name", {"experiment_name": "vision"})["experiment"]
    assert experiment["experiment_id"] == "1"
    assert experiment["tags"] == [{"key": "team", "value": "cv"}]
    run = api.ok_get("/runs/get", {"run_id": RUN_A})["run"]
    assert run["info"]["run_name"] == "baseline"
    assert run["info"]["status"] == "FINISHED"
    assert run["info"]["end_time"] == 4000
    assert run["data"]["params"] == [{"key": "lr", "value": "0.01"}]
    assert run["data"]["metrics"] == [{"key": "loss", "value": 0.25, "timestamp": 3200, "step": 1}]
    assert {"key": "stage", "value": "dev"} in run["data"]["tags"]
    history = api.ok_get("/metrics/get-history", {"run_id": RUN_A, "metric_key": "loss"})["metrics"]
    assert [(m["value"], m["step"]) for m in history] == [(0.5, 0), (0.25, 1)]
    found = api.ok_post("/runs/search", {"experiment_ids": ["1"], "filter": "metrics.loss < 0.3"})
    assert [r["info"]["run_id"] for r in found["runs"]] == [RUN_A]
    third = api.create_run("1", run_name="after-upgrade")
    assert third["info"]["artifact_uri"].endswith("/ml_experiment_1/3")
    api.ok_post("/runs/log-metric", {"run_id": RUN_B, "key": "loss", "value": 0.125,
                                     "timestamp": 6000, "step": 2})
    assert api.ok_get("/runs/get", {"run_id": RUN_B})["run"]["data"]["metrics"][0]["value"] == 0.125


def test_cheap_revision_reader_agrees_with_alembic_when_reading_the_versions_folder():
    revisions = script_revisions()
    assert revisions.heads == HEADS
    assert revisions.base == FIRST
    assert revisions.parents == {script.revision: tuple(script._all_down_revisions)
                                 for script in SCRIPT.walk_revisions()}


def test_fresh_database_is_upgraded_to_head_with_every_table_when_the_app_starts(tmp_path):
    _start(tmp_path)

    assert _revisions(tmp_path) == HEADS
    engine = _engine(tmp_path)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert tables == set(db.metadata.tables) | {"alembic_version"}
    assert _query(tmp_path, "SELECT id, name FROM experiments") == [(0, "Default")]
    assert "model_id IS NOT NULL" in _model_id_index_sql(tmp_path)


def test_models_and_migrations_agree_when_the_database_is_at_head(tmp_path):
    """A change to a model without a migration (`flask --app app db migrate`) fails here.

    The database is built by running every migration, as an existing instance is upgraded (a new
    instance is built from the models: see the next test)."""
    _make_head_revision_database_with_alembic(tmp_path)

    assert _differences_from_models(tmp_path) == []


def test_new_database_built_from_the_models_equals_one_built_by_every_migration(tmp_path):
    built, migrated = tmp_path / "built", tmp_path / "migrated"
    _start(built)
    _make_head_revision_database_with_alembic(migrated)

    assert _revisions(built) == _revisions(migrated) == HEADS
    assert _schema(built) == _schema(migrated)
    assert len(_schema(built)) == len(db.metadata.tables) + 1  # and alembic_version


def _make_head_revision_database_with_alembic(instance) -> None:
    os.makedirs(instance, exist_ok=True)
    engine = _engine(instance)
    with engine.begin() as connection:
        run_alembic(connection, "upgrade", "heads")
    engine.dispose()


def _schema(instance) -> dict:
    """Each table's columns, keys, indexes and constraints as the database reports them."""
    engine = _engine(instance)
    try:
        inspector = inspect(engine)

        def described(items):  # partial-index conditions are SQL text objects: compare their text
            return sorted(json.dumps(item, sort_keys=True, default=str) for item in items)

        return {table: {
            "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default"), c.get("autoincrement"))
                        for c in inspector.get_columns(table)],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign_keys": described(inspector.get_foreign_keys(table)),
            "indexes": described(inspector.get_indexes(table)),
            "unique": described({k: v for k, v in u.items() if k != "name" or v} for u in
                                inspector.get_unique_constraints(table)),
            "checks": described(inspector.get_check_constraints(table)),
        } for table in inspector.get_table_names()}
    finally:
        engine.dispose()


@pytest.mark.sqlite_only
def test_second_start_changes_nothing_when_the_database_is_at_head(tmp_path):
    _start(tmp_path)
    before = _query(tmp_path, "SELECT type, name, sql FROM sqlite_master ORDER BY name")

    _start(tmp_path)

    assert _query(tmp_path, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == before
    assert _query(tmp_path, "SELECT count(*) FROM experiments") == [(1,)]


def test_data_survives_when_a_first_revision_database_is_upgraded_to_head(tmp_path):
    _make_first_revision_database(tmp_path)
    _insert_sample_data(tmp_path)
    assert _revisions(tmp_path) == {FIRST}

    app = _start(tmp_path)

    assert _revisions(tmp_path) == HEADS
    _assert_sample_data_served(app)
    assert _differences_from_models(tmp_path) == []


def _make_legacy_database(instance, *, oldest: bool) -> None:
    """What create_all made before migrations (built from the first revision, so later migrations
    do not change it): no alembic_version, api_tokens, ix_metrics_chart or partial
    ix_metrics_model_id; the oldest files also lack experiment_keys and three nullable columns, and
    had a full index on metrics.model_id."""
    _make_first_revision_database(instance)
    statements = ["DROP TABLE alembic_version", "DROP TABLE api_tokens", "DROP INDEX ix_metrics_chart",
                  "DROP INDEX ix_metrics_model_id"]
    if oldest:
        statements += ["DROP TABLE experiment_keys", "CREATE INDEX ix_metrics_model_id ON metrics (model_id)",
                       "ALTER TABLE latest_metrics DROP COLUMN value_json",
                       "ALTER TABLE metrics DROP COLUMN dataset_name",
                       "ALTER TABLE metrics DROP COLUMN dataset_digest"]
    engine = _engine(instance)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


@pytest.mark.sqlite_only  # databases made before migrations were always SQLite files
@pytest.mark.parametrize("oldest", [False, True], ids=["recent", "oldest"])
def test_legacy_database_is_adopted_and_keeps_its_data_when_made_before_migrations(tmp_path, oldest):
    _make_legacy_database(tmp_path, oldest=oldest)
    _insert_sample_data(tmp_path, dataset_columns=not oldest)
    assert _query(tmp_path, "SELECT name FROM sqlite_master WHERE name = 'alembic_version'") == []

    app = _start(tmp_path)

    assert _revisions(tmp_path) == HEADS
    assert _differences_from_models(tmp_path) == []
    assert "WHERE model_id IS NOT NULL" in _model_id_index_sql(tmp_path)
    assert _query(tmp_path, "SELECT experiment_id, kind, key FROM experiment_keys ORDER BY kind") == (
        [(1, "metric", "loss"), (1, "param", "lr")] if oldest else [])
    _assert_sample_data_served(app)


@pytest.mark.sqlite_only
def test_legacy_database_is_refused_and_left_unchanged_when_a_table_lacks_a_required_column(tmp_path):
    _make_legacy_database(tmp_path, oldest=False)
    engine = _engine(tmp_path)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE run_model_links"))
        connection.execute(text("CREATE TABLE run_model_links (run_id INTEGER NOT NULL, "
                                "model_id VARCHAR(64) NOT NULL, PRIMARY KEY (run_id, model_id))"))
    engine.dispose()
    before = _query(tmp_path, "SELECT type, name, sql FROM sqlite_master ORDER BY name")

    with pytest.raises(LegacySchemaError, match="run_model_links has no column direction"):
        _start(tmp_path)

    assert _query(tmp_path, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == before


@pytest.mark.sqlite_only
def test_legacy_adoption_is_refused_when_the_differences_cannot_be_repaired(tmp_path):
    _make_legacy_database(tmp_path, oldest=False)
    engine = _engine(tmp_path)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE run_model_links"))
        # Same columns, but the step is nullable and the primary key is missing the direction.
        connection.execute(text("CREATE TABLE run_model_links (run_id INTEGER NOT NULL, "
                                "model_id VARCHAR(64) NOT NULL, direction VARCHAR(8) NOT NULL, "
                                "step INTEGER, PRIMARY KEY (run_id, model_id))"))
    with engine.connect() as connection, connection.begin(), pytest.raises(LegacySchemaError) as refused:
        adopt_legacy_database(connection, FIRST)
    engine.dispose()
    message = str(refused.value)
    assert "run_model_links primary key" in message
    assert "run_model_links columns" in message
    assert FIRST in message


def test_database_from_a_newer_mlexp_is_refused_naming_both_revisions(tmp_path):
    _start(tmp_path)
    engine = _engine(tmp_path)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed0001'"))
    engine.dispose()

    with pytest.raises(DatabaseTooNew) as refused:
        _start(tmp_path)

    message = str(refused.value)
    assert "f00dfeed0001" in message and all(head in message for head in HEADS)
    assert _revisions(tmp_path) == {"f00dfeed0001"}


def test_server_exits_with_a_message_and_no_traceback_when_the_database_is_newer(tmp_path):
    _start(tmp_path)
    engine = _engine(tmp_path)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed0001'"))
    engine.dispose()

    # An address no interface has: were the database accepted, serving would fail at once too.
    done = subprocess.run([sys.executable, "app.py", "--instance", str(tmp_path), "--host", "203.0.113.1"],
                          cwd=PROJECT_ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=120,
                          check=False)

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "f00dfeed0001" in done.stderr and all(head in done.stderr for head in HEADS)


def test_servers_starting_together_on_a_new_instance_create_the_schema_once(tmp_path):
    go = tmp_path / "go"
    starter = ("import os, sys, time; sys.path.insert(0, sys.argv[1]); from mlexp import create_app\n"
               "open(sys.argv[3] + '.ready.' + str(os.getpid()), 'w').close()\n"
               "while not os.path.exists(sys.argv[3]): time.sleep(0.001)\n"
               "create_app(instance_path=sys.argv[2])")
    servers = [subprocess.Popen([sys.executable, "-c", starter, PROJECT_ROOT, str(tmp_path), str(go)],
                                env=_env(tmp_path), stderr=subprocess.PIPE, text=True) for _ in range(4)]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("go.ready.*"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # all four imported mlexp: they now open the new database together
    errors = [server.communicate(timeout=120)[1] for server in servers]

    assert [server.returncode for server in servers] == [0, 0, 0, 0], errors
    assert _revisions(tmp_path) == HEADS
    assert _query(tmp_path, "SELECT id, name FROM experiments") == [(0, "Default")]


def test_flask_db_upgrade_and_current_commands_work_when_run_from_the_shell(tmp_path):
    env = _env(tmp_path)
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run(flask + ["db", "upgrade"], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True)
    assert _revisions(tmp_path) == HEADS

    current = subprocess.run(flask + ["db", "current"], cwd=PROJECT_ROOT, env=env, check=True,
                             capture_output=True, text=True)

    assert all(f"{head} (head)" in current.stdout for head in HEADS)


def test_init_db_command_reports_the_database_when_it_is_already_at_head(app):
    result = app.test_cli_runner().invoke(args=["init-db"])

    assert result.exit_code == 0, result.output
    assert f"Database ready at {app.config['DATABASE_URI'].split(':')[0]}:" in result.output


def test_migrations_render_for_postgresql_when_run_offline():
    """No SQLite-only DDL: the same revisions print PostgreSQL (partial index included)."""
    out = io.StringIO()
    config = Config(output_buffer=out)
    config.set_main_option("script_location", MIGRATIONS_DIR)
    config.set_main_option("sqlalchemy.url", "postgresql://")
    command.upgrade(config, "heads", sql=True)

    sql = out.getvalue()
    assert all(f"CREATE TABLE {table} (" in sql for table in db.metadata.tables)
    assert "CREATE TABLE experiments (\n    id SERIAL NOT NULL" in sql
    assert "CREATE INDEX ix_metrics_model_id ON metrics (model_id) WHERE model_id IS NOT NULL" in sql
    assert "AUTOINCREMENT" not in sql
    # Millisecond timestamps and steps do not fit PostgreSQL's 32-bit INTEGER.
    assert "timestamp BIGINT NOT NULL" in sql and "step BIGINT NOT NULL" in sql
    assert "start_time BIGINT NOT NULL" in sql and "creation_time BIGINT NOT NULL" in sql
