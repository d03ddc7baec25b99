"""Restore of an instance from a backup folder made by backup.py: checked, then swapped in. No Flask."""
import json
import os
import shutil
import sqlite3
import tempfile

from mlexp.storage.backup import (DATABASE_FILE, FORMAT, FORMAT_VERSION, MANIFEST, PACKAGES_FOLDER,
                          BackupError, fsync_file, remove_path, sqlite_database_path, table_counts)


def read_backup(source: str) -> dict:
    """The manifest of the backup in `source`, after checking the folder really holds that backup.

    Raises:
        BackupError: no manifest, another format, a missing or damaged database copy, or row
            counts that differ from the manifest's.
    """
    source = os.path.abspath(source)
    manifest_path = os.path.join(source, MANIFEST)
    try:
        with open(manifest_path, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except FileNotFoundError:
        raise BackupError(f"{source} is not an mlexp backup: it has no {MANIFEST}") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{manifest_path} cannot be read: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{manifest_path} is not an mlexp backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{source} is backup format version {manifest.get('format_version')}; "
                          f"this mlexp reads version {FORMAT_VERSION}")
    database = os.path.join(source, DATABASE_FILE)
    if not os.path.isfile(database) or not os.path.isdir(os.path.join(source, PACKAGES_FOLDER)):
        raise BackupError(f"{source} is incomplete: it needs {DATABASE_FILE} and {PACKAGES_FOLDER}/")
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        check = connection.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{database} is damaged: {check}")
        if table_counts(connection) != manifest.get("tables"):
            raise BackupError(f"{database} does not hold the rows its manifest lists")
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{database} is not a usable SQLite database: {exc}") from exc
    finally:
        connection.close()
    return manifest


def database_in_use(path: str) -> bool:
    """Whether another connection (a running server, say) has the database open.

    In WAL mode every open connection holds a shared lock on the file, so an exclusive lock is
    only granted when nobody else has it open; closing this last connection also checkpoints
    the WAL into the file and removes it.
    """
    if not os.path.exists(path):
        return False
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("PRAGMA locking_mode=EXCLUSIVE")
        connection.execute("BEGIN EXCLUSIVE")
        connection.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return True
        raise BackupError(f"{path} cannot be opened: {exc}") from exc
    finally:
        connection.close()


def restore_instance(source: str, database_uri: str, packages_dir: str) -> dict:
    """Replace the instance's database and packages with the backup in `source`; return its manifest.

    Both copies are made next to their targets first; then the stale WAL and shared-memory files
    go (SQLite would otherwise replay the old WAL onto the restored file), the database file is
    swapped in with one os.replace and the packages folder with two renames. Interrupted
    half-way, it leaves the database or the packages restored and the other not: run it again.

    Raises:
        BackupError: `source` is not a valid backup, the target is not SQLite, or a server (any
            other connection) has the database open.
    """
    manifest = read_backup(source)
    database = sqlite_database_path(database_uri)
    if database_in_use(database):
        raise BackupError(f"{database} is in use (is the server running?); stop it and retry")
    os.makedirs(os.path.dirname(database), exist_ok=True)
    packages_dir = os.path.abspath(packages_dir)
    os.makedirs(os.path.dirname(packages_dir), exist_ok=True)
    mode = os.stat(database).st_mode & 0o777 if os.path.exists(database) else 0o644
    fd, temp_database = tempfile.mkstemp(prefix=".mlexp-restore-", dir=os.path.dirname(database))
    os.close(fd)
    # Holds the new packages until they are swapped in, then the old ones until they are removed.
    work = tempfile.mkdtemp(prefix=".mlexp-restore-", dir=os.path.dirname(packages_dir))
    try:
        shutil.copyfile(os.path.join(source, DATABASE_FILE), temp_database)
        os.chmod(temp_database, mode)
        fsync_file(temp_database)
        shutil.copytree(os.path.join(source, PACKAGES_FOLDER), os.path.join(work, "new"), symlinks=True)
        for suffix in ("-wal", "-shm", "-journal"):
            remove_path(database + suffix)
        os.replace(temp_database, database)
        if os.path.lexists(packages_dir):
            os.rename(packages_dir, os.path.join(work, "old"))
        os.rename(os.path.join(work, "new"), packages_dir)
    finally:
        remove_path(temp_database)
        remove_path(work)
    return manifest
