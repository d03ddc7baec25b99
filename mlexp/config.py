"""Configuration in layers: defaults, then instance/config.py, then MLEXP_* environment variables."""
import os
import secrets

from flask import Flask


class Defaults:
    """Embedded defaults: everything lives in the instance folder."""

    HOST = "127.0.0.1"
    PORT = 5000
    THREADS = 16
    SQLITE_BUSY_TIMEOUT_MS = 30_000
    # Filled in from the instance path when left unset.
    DATABASE_URI = None
    PACKAGES_DIR = None
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    MAX_CONTENT_LENGTH = None
    ACCESS_LOG = True
    MAX_UPLOAD_BYTES = 5 * 1024**3
    # JSON API bodies above this are refused (413): a log-batch at MLflow's limits is ~1.5 MB.
    MAX_JSON_BYTES = 16 * 1024**2
    # "auto": open until the first token is created; "required": a token is always needed.
    AUTH = "auto"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Host names served besides loopback (http/origins.py): None means the listen address and
    # private-network address literals; a list or comma-separated string replaces that; "*" is any.
    ALLOWED_HOSTS = None
    # Browser origins, besides this server's own and localhost's, that may call the API.
    CORS_ALLOWED_ORIGINS = None
    # Connections (http/serve.py): idle keep-alive connections and requests that stop sending
    # are closed after these many seconds; at CONNECTION_LIMIT the idlest connection makes room.
    IDLE_TIMEOUT = 10
    REQUEST_TIMEOUT = 10
    CONNECTION_LIMIT = 10_000


def load_config(app: Flask, test_config: dict | None) -> None:
    """Apply the layers in order; test_config, when given, wins over everything."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("MLEXP")
    if test_config:
        app.config.update(test_config)
    instance = app.instance_path
    if not app.config["DATABASE_URI"]:
        app.config["DATABASE_URI"] = "sqlite:///" + os.path.join(instance, "mlexp.sqlite")
    if not app.config["PACKAGES_DIR"]:
        app.config["PACKAGES_DIR"] = os.path.join(instance, "packages")
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URI"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance)
    # Reuse the most recently used connection: its SQLite page cache is the warm one. No cap on
    # overflow connections: a request thread may wait for reader threads that need connections
    # of their own (storage/readers.py), so a cap could deadlock a busy server; the threads
    # bound the count anyway (each request thread and each of the four readers holds at most a
    # couple at a time).
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_use_lifo": True, "max_overflow": -1})


def _instance_secret(instance: str) -> str:
    """A per-instance secret for signing session cookies, made once and kept in the instance."""
    path = os.path.join(instance, "secret_key")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made earlier, or by another process starting at the same moment
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    with open(path) as secret:
        return secret.read().strip()
