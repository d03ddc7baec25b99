"""Backup of an instance: the SQLite database and the packages folder (restore.py puts one back). No Flask.

A backup folder holds `mlexp.sqlite` (a self-contained copy, rollback-journal mode), `packages/`
and `mlexp-backup.json`, the manifest, written last: a folder without it is not a backup.
"""
import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy.engine import make_url

from mlexp import names
from mlexp.storage.database import sqlite_file
from mlexp.artifacts.upload_files import TEMP_PREFIX

MANIFEST = "mlexp-backup.json"
FORMAT = "mlexp-backup"
FORMAT_VERSION = 1
DATABASE_FILE = "mlexp.sqlite"
PACKAGES_FOLDER = "packages"
BUSY_TIMEOUT_S = 30.0


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why, for the command line."""


@dataclass
class _Snapshot:
    """What the database snapshot knows of, so package folders it has never heard of are left out."""

    experiments: set[int] = field(default_factory=set)
    runs: set[tuple[int, str]] = field(default_factory=set)
    models: set[tuple[int, str]] = field(default_factory=set)

    def keeps(self, parts: list[str]) -> bool:
        """Whether the package entry at `parts` (a path below packages/) belongs to the snapshot."""
        place = names.parse_package_path("/".join(parts))
        if place is None:
            return True  # not a package: copied as it is
        experiment_id = int(place.experiment_id)
        if experiment_id not in self.experiments:
            return False
        if place.iid is not None:
            return (experiment_id, str(int(place.iid))) in self.runs
        if place.model_id is not None:
            return (experiment_id, place.model_id) in self.models
        return True


def sqlite_database_path(database_uri: str) -> str:
    """The file behind a SQLite DATABASE_URI.

    Raises:
        BackupError: another database engine, or an in-memory database.
    """
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite":
        raise BackupError(f"backup and restore support SQLite only; DATABASE_URI uses "
                          f"{url.get_backend_name()!r}: use that database's own backup tools")
    path = sqlite_file(url)
    if path is None:
        raise BackupError("DATABASE_URI is an in-memory SQLite database: there is nothing to back up")
    return os.path.abspath(path)


def backup_instance(database_uri: str, packages_dir: str, target: str) -> dict:
    """Copy the database, then the packages, into the empty or new folder `target`; return the manifest.

    The server may keep serving and writing meanwhile. The database goes first, in one step of
    SQLite's online backup API: one read transaction, so the copy is the database as it was at
    one commit (in WAL mode writers are not blocked while it is taken). The packages are copied
    after it, and that order is what keeps the pair consistent: every flow writes a file before
    any row that refers to it (an upload needs its run's row to exist already; a model version
    is registered after its files were uploaded), and stored files are only ever replaced whole
    or deleted, so every file the snapshot can refer to is still there to copy. Copying the
    packages first would miss files of rows committed in between. Files of runs, logged models
    and experiments that arrived after the snapshot are left out: the restored database does
    not know them, and would hand their run numbers (IIDs) to new runs that would then show
    someone else's files. Upload temporary files and symlinks are never copied.

    Raises:
        BackupError: not SQLite, no database file, or `target` holds files already.
    """
    source_path = sqlite_database_path(database_uri)
    if not os.path.isfile(source_path):
        raise BackupError(f"No database at {source_path}")
    target = os.path.abspath(target)
    packages_dir = os.path.abspath(packages_dir)
    if target == packages_dir or target.startswith(packages_dir + os.sep):
        raise BackupError(f"{target} is inside the packages folder it would copy")
    if os.path.exists(target) and (not os.path.isdir(target) or os.listdir(target)):
        raise BackupError(f"{target} already exists and is not an empty folder")
    made_target = not os.path.exists(target)
    os.makedirs(target, exist_ok=True)
    try:
        started_ms = int(time.time() * 1000)
        tables, snapshot = _snapshot_database(source_path, os.path.join(target, DATABASE_FILE))
        files = _copy_packages(packages_dir, os.path.join(target, PACKAGES_FOLDER), snapshot)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_ms": started_ms,
            "created_utc": datetime.fromtimestamp(started_ms / 1000, timezone.utc).isoformat(),
            "database_path": source_path,
            "packages_path": os.path.abspath(packages_dir),
            "sqlite_version": sqlite3.sqlite_version,
            "tables": tables,
            **files,
        }
        _write_json_atomically(os.path.join(target, MANIFEST), manifest)
    except BaseException:
        if made_target:
            shutil.rmtree(target, ignore_errors=True)
        else:
            for name in os.listdir(target):
                remove_path(os.path.join(target, name))
        raise
    return manifest


def _snapshot_database(source_path: str, target_path: str) -> tuple[dict, _Snapshot]:
    source = sqlite3.connect(source_path, timeout=BUSY_TIMEOUT_S)
    target = sqlite3.connect(target_path, isolation_level=None)
    try:
        source.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        source.backup(target)  # pages=-1: the whole database in one step, under one read lock
        target.execute("PRAGMA journal_mode=DELETE")
        check = target.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"The database copy failed its integrity check: {check}")
        return table_counts(target), _read_snapshot(target)
    finally:
        target.close()
        source.close()


def table_counts(connection: sqlite3.Connection) -> dict[str, int]:
    """Rows per table: the manifest lists them, and a restore checks the copy against them."""
    names = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def _read_snapshot(connection: sqlite3.Connection) -> _Snapshot:
    def rows(sql: str) -> list[tuple]:
        try:
            return connection.execute(sql).fetchall()
        except sqlite3.OperationalError:  # a table an older schema does not have
            return []

    return _Snapshot(
        experiments={row[0] for row in rows("SELECT id FROM experiments")},
        runs={(e, str(i)) for e, i in rows("SELECT experiment_id, iid FROM runs")},
        models={(e, m) for e, m in rows("SELECT experiment_id, model_id FROM logged_models")},
    )


def _copy_packages(source: str, target: str, snapshot: _Snapshot) -> dict:
    """Copy regular files the snapshot knows of; count what was left out, and why."""
    counts = {"package_files": 0, "package_bytes": 0, "skipped_temp_files": 0,
              "skipped_symlinks": 0, "skipped_newer_than_database": 0, "vanished_during_copy": 0}
    os.makedirs(target)
    source = os.path.abspath(source)
    for folder, dirs, files in os.walk(source):
        relative = os.path.relpath(folder, source)
        parts = [] if relative == "." else relative.split(os.sep)
        for name in list(dirs):
            full = os.path.join(folder, name)
            if os.path.islink(full):
                counts["skipped_symlinks"] += 1
                dirs.remove(name)
            elif not snapshot.keeps(parts + [name]):
                counts["skipped_newer_than_database"] += 1
                dirs.remove(name)
            else:
                os.makedirs(os.path.join(target, *parts, name), exist_ok=True)
        for name in files:
            full = os.path.join(folder, name)
            if name.startswith(TEMP_PREFIX):
                counts["skipped_temp_files"] += 1
            elif os.path.islink(full):
                counts["skipped_symlinks"] += 1
            elif not snapshot.keeps(parts + [name]):
                counts["skipped_newer_than_database"] += 1
            else:
                try:
                    shutil.copy2(full, os.path.join(target, *parts, name), follow_symlinks=False)
                except FileNotFoundError:  # deleted after the snapshot: gone now as well
                    counts["vanished_during_copy"] += 1
                    continue
                counts["package_files"] += 1
                counts["package_bytes"] += os.path.getsize(os.path.join(target, *parts, name))
    return counts


def _write_json_atomically(path: str, data: dict) -> None:
    temp = path + ".tmp"
    with open(temp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temp, path)


def fsync_file(path: str) -> None:
    """Flush a copied file to disk before it is renamed into place."""
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def remove_path(path: str) -> None:
    """Remove whatever is at `path` (a file, a link or a folder tree), if anything is."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)
