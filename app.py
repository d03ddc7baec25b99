"""Entry point: `python app.py [--host H] [--port P] [--instance DIR]` serves mlexp.

The same settings come from MLEXP_HOST, MLEXP_PORT and MLEXP_INSTANCE; flags win.
"""
import argparse
import logging
import os

from mlexp import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the mlexp tracking server.")
    parser.add_argument("--host", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to bind (default 5000)")
    parser.add_argument("--instance", help="folder for the database and packages (default ./instance)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = _create_app_or_exit(args.instance)
    host = args.host or app.config["HOST"]
    port = args.port or int(app.config["PORT"])
    from mlexp import freeze_startup_objects
    from mlexp.access import warn_if_exposed
    from mlexp.serve import serve

    warn_if_exposed(app, host)

    freeze_startup_objects()
    serve(app, host, port, int(app.config["THREADS"]))


def _create_app_or_exit(instance: str | None):
    """The app, or a one-line reason and exit status 1 when the database's schema is unusable."""
    from mlexp.migrate import SchemaError

    try:
        return create_app(instance_path=instance)
    except SchemaError as exc:
        raise SystemExit(f"mlexp: cannot start: {exc}") from None


if __name__ == "__main__":
    main()
else:
    # `flask --app app ...` and WSGI servers import this module and look for `app`.
    app = _create_app_or_exit(os.environ.get("MLEXP_INSTANCE"))
