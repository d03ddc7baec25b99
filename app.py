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
    app = create_app(instance_path=args.instance)
    host = args.host or app.config["HOST"]
    port = args.port or int(app.config["PORT"])
    from mlexp import freeze_startup_objects
    from mlexp.access import warn_if_exposed
    from mlexp.serve import serve

    warn_if_exposed(app, host)

    freeze_startup_objects()
    serve(app, host, port, int(app.config["THREADS"]))


if __name__ == "__main__":
    main()
else:
    # `flask --app app ...` and WSGI servers import this module and look for `app`.
    app = create_app(instance_path=os.environ.get("MLEXP_INSTANCE"))
