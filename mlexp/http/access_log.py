"""One line per request on the `mlexp.access` logger, when ACCESS_LOG is on."""
import logging

from flask import Flask, request

log = logging.getLogger("mlexp.access")


def log_request(method: str, full_path: str, status: int) -> None:
    log.info("%s %s %s", method, full_path, status)


def register_access_log(app: Flask) -> None:
    if not app.config["ACCESS_LOG"]:
        return

    @app.after_request
    def _log_request(response):
        log_request(request.method, request.full_path.rstrip("?"), response.status_code)
        return response
