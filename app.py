"""Entry point: `python app.py [--host H] [--port P] [--instance DIR]` serves mlexp.

The same settings come from MLEXP_HOST, MLEXP_PORT and MLEXP_INSTANCE; flags win.
"""
import gc

# No garbage collection while the app is imported and built: on this project's VM the collector
# ran ~200 times during a start, for ~0.1 s, and found next to nothing (freeze_startup_objects()
# turns it back on).
gc.disable()

import logging  # noqa: E402
import os  # noqa: E402

import click  # noqa: E402  (Flask's own command-line library: already loaded, where argparse cost ~15 ms)

from mlexp import create_app, freeze_startup_objects  # noqa: E402


@click.command(help="Serve the mlexp tracking server.")
@click.option("--host", help="address to bind (default 127.0.0.1)")
@click.option("--port", type=int, help="port to bind (default 5000)")
@click.option("--instance", help="folder for the database and packages (default ./instance)")
def main(host: str | None, port: int | None, instance: str | None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    flags = {name: value for name, value in (("HOST", host), ("PORT", port)) if value}
    app = _create_app_or_exit(instance, flags)
    host, port = app.config["HOST"], int(app.config["PORT"])
    from mlexp.http.access import warn_if_exposed
    from mlexp.http.serve import serve

    warn_if_exposed(app, host)

    freeze_startup_objects()
    serve(app, host, port, int(app.config["THREADS"]))


def _create_app_or_exit(instance: str | None, flags: dict | None = None):
    """The app (flags win over every configuration layer), or a one-line reason and exit
    status 1 when the database's schema is unusable."""
    from mlexp.storage.revisions import SchemaError

    try:
        return create_app(flags or None, instance_path=instance)
    except SchemaError as exc:
        raise SystemExit(f"mlexp: cannot start: {exc}") from None


if __name__ == "__main__":
    main()
else:
    # `flask --app app ...` and WSGI servers import this module and look for `app`.
    app = _create_app_or_exit(os.environ.get("MLEXP_INSTANCE"))
    freeze_startup_objects()
