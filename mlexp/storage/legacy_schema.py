"""Adopting a database made before migrations existed: an SQLite file built by create_all.

Such a file has no alembic_version table and the first migration's tables minus what was added to
the models later: whole tables (api_tokens, experiment_keys), indexes (ix_metrics_chart; the partial
ix_metrics_model_id was a full index before), nullable columns (latest_metrics.value_json,
metrics.dataset_name/dataset_digest). Adoption adds what is missing, then compares the result with
a scratch database built by the first migration itself, and stamps that revision only when the two
agree; the normal upgrade to head runs from there. Pre-migration shapes are a closed set, so this
module does not change when later migrations are added.
"""
from __future__ import annotations

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Connection

from mlexp.storage.revisions import LegacySchemaError, run_alembic

# Filled from the data when adoption creates the table (the runs page reads its columns from it).
EXPERIMENT_KEYS_BACKFILL = (
    ("INSERT INTO experiment_keys (experiment_id, kind, key) SELECT DISTINCT r.experiment_id, "
     "'param', p.key FROM params p JOIN runs r ON r.id = p.run_id"),
    ("INSERT INTO experiment_keys (experiment_id, kind, key) SELECT DISTINCT r.experiment_id, "
     "'metric', m.key FROM latest_metrics m JOIN runs r ON r.id = m.run_id"),
)


def adopt_legacy_database(connection: Connection, first_revision: str) -> list[str]:
    """Bring a pre-migrations database to `first_revision` and stamp it; returns what was changed.

    Raises:
        LegacySchemaError: not SQLite, or tables that differ in ways adding things cannot fix.
    """
    if connection.dialect.name != "sqlite":
        raise LegacySchemaError(
            f"the {connection.dialect.name} database {_url(connection)} has mlexp tables but no "
            "alembic_version table; only SQLite databases made before migrations are adopted "
            "automatically.")
    reference_engine = create_engine("sqlite://")
    try:
        with reference_engine.connect() as reference:
            with reference.begin():
                run_alembic(reference, "upgrade", first_revision)
            changes = _add_missing(connection, reference)
            differences = _differences(connection, reference)
    finally:
        reference_engine.dispose()
    if differences:
        raise LegacySchemaError(
            f"the database {_url(connection)} was made before migrations and its tables differ from "
            f"revision {first_revision} in ways mlexp does not repair: " + "; ".join(differences))
    run_alembic(connection, "stamp", first_revision)
    return changes


def _url(connection: Connection) -> str:
    return connection.engine.url.render_as_string(hide_password=True)


def _objects(connection: Connection, kind: str) -> dict[str, tuple[str, str | None]]:
    """name -> (table, CREATE statement) of the tables or indexes in sqlite_master."""
    rows = connection.exec_driver_sql(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%'",
        (kind,)).all()
    return {name: (table, sql) for name, table, sql in rows}


def _same_sql(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").lower().split()) == " ".join((b or "").lower().split())


def _add_missing(connection: Connection, reference: Connection) -> list[str]:
    """Create missing tables and indexes, add missing nullable columns, rebuild indexes that differ."""
    changes = []
    wanted_tables = {name: sql for name, (_, sql) in _objects(reference, "table").items()
                     if name != "alembic_version"}
    tables = _objects(connection, "table")
    for name, sql in wanted_tables.items():
        if name not in tables:
            connection.exec_driver_sql(sql)
            changes.append(f"created table {name}")
        else:
            changes += _add_missing_columns(connection, reference, name)
    if "experiment_keys" in wanted_tables and "experiment_keys" not in tables:
        for statement in EXPERIMENT_KEYS_BACKFILL:
            connection.exec_driver_sql(statement)
    wanted_indexes = {name: sql for name, (_, sql) in _objects(reference, "index").items() if sql}
    indexes = {name: sql for name, (table, sql) in _objects(connection, "index").items()
               if sql and table in wanted_tables}
    for name, sql in indexes.items():
        if not _same_sql(sql, wanted_indexes.get(name)):
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
            changes.append(f"dropped index {name}")
    for name, sql in wanted_indexes.items():
        if not _same_sql(indexes.get(name), sql):
            connection.exec_driver_sql(sql)
            changes.append(f"created index {name}")
    return changes


def _add_missing_columns(connection: Connection, reference: Connection, table: str) -> list[str]:
    have = {row[1] for row in connection.exec_driver_sql(f'PRAGMA table_info("{table}")')}
    changes = []
    for _, column, type_, notnull, default, pk in reference.exec_driver_sql(f'PRAGMA table_info("{table}")'):
        if column in have:
            continue
        if notnull or pk:
            raise LegacySchemaError(f"table {table} has no column {column}, and a NOT NULL column "
                                    "cannot be added to existing rows")
        default_sql = f" DEFAULT {default}" if default is not None else ""
        connection.exec_driver_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {type_}{default_sql}')
        changes.append(f"added column {table}.{column}")
    return changes


def _shape(connection: Connection, tables) -> dict[str, dict]:
    """What must agree, per table: columns, keys, constraints, indexes (with their WHERE)."""
    insp = inspect(connection)
    create = {name: sql for name, (_, sql) in _objects(connection, "table").items()}
    shape = {}
    for table in sorted(tables):
        if table not in create:
            shape[table] = {"table": "missing"}
            continue
        shape[table] = {
            "columns": sorted((c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table)),
            "primary key": insp.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]),
                 fk["options"].get("ondelete")) for fk in insp.get_foreign_keys(table)),
            "unique constraints": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table)),
            "indexes": sorted(
                (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]),
                 str(ix.get("dialect_options", {}).get("sqlite_where", ""))) for ix in insp.get_indexes(table)),
            "autoincrement": "AUTOINCREMENT" in (create[table] or "").upper(),
        }
    return shape


def _differences(connection: Connection, reference: Connection) -> list[str]:
    wanted_tables = [name for name in _objects(reference, "table") if name != "alembic_version"]
    wanted, have = _shape(reference, wanted_tables), _shape(connection, wanted_tables)
    return [f"{table} {aspect}: found {have[table].get(aspect)}, expected {value}"
            for table in wanted_tables for aspect, value in wanted[table].items()
            if have[table].get(aspect) != value]
