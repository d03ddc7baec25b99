"""Serve the app with waitress: one process, many threads.

Waitress sets TCP_NODELAY on every accepted socket by default (Adjustments.socket_options), so
small keep-alive responses never wait on Nagle's algorithm and delayed ACKs.

Waitress reads a whole request body before calling the app, spooling big ones to a temporary
file. That file is made a named one in the packages folder (spool_bodies_into), so an artifact
upload is hard-linked into place instead of written a second time: measured here, 1 GiB uploads
went from ~450-525 MB/s (spool, then copy) to ~800 MB/s with server memory flat.
"""
import os
import tempfile

from flask import Flask
from waitress import buffers
from waitress import serve as waitress_serve
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask

from mlexp.api.errors import API_PATH_PREFIXES
from mlexp.checkpoints import start_checkpointer
from mlexp.errors import ErrorCode
from mlexp.headers import HEADERS
from mlexp.json_provider import json_bytes
from mlexp.upload_files import TEMP_PREFIX

try:
    import fcntl
except ImportError:  # no flock: spools are then cleaned up by age like other temp files
    fcntl = None

SPOOL_FOLDER = TEMP_PREFIX + "spool"  # a reserved name: hidden from listings, refused by the API


def _named_spool(folder: str):
    """A spool file with a name next to the packages, locked while the request lives so the
    stale-upload cleanup (ArtifactStore.remove_stale_uploads) leaves it alone; a crash drops
    the lock and the next start removes it."""
    spool = tempfile.NamedTemporaryFile("w+b", dir=folder, prefix=TEMP_PREFIX)
    if fcntl is not None:
        fcntl.flock(spool.fileno(), fcntl.LOCK_EX)
    return spool


def spool_bodies_into(packages_dir: str) -> None:
    """Make waitress spool request bodies into named files under the packages folder.

    TempfileBasedBuffer.newfile is waitress's own seam for the spool file (3.0); if a later
    waitress drops it, uploads simply fall back to being copied.
    """
    folder = os.path.join(packages_dir, SPOOL_FOLDER)
    os.makedirs(folder, exist_ok=True)
    if hasattr(buffers.TempfileBasedBuffer, "newfile"):
        buffers.TempfileBasedBuffer.newfile = lambda _buffer: _named_spool(folder)


class ApiErrorTask(ErrorTask):
    """waitress's own error answers, given before the app sees a request (a body over
    max_request_body_size, a malformed Content-Length or chunk), as MLflow's error JSON on API
    paths, keeping waitress's status; elsewhere waitress's plain text, as before."""

    def execute(self):
        if not (getattr(self.request, "path", None) or "").startswith(API_PATH_PREFIXES):
            return super().execute()
        error = self.request.error
        code = ErrorCode.INVALID_PARAMETER_VALUE if error.code < 500 else ErrorCode.INTERNAL_ERROR
        message = f"{error.reason}: {error.body}"
        if error.code == 413:
            limit = self.channel.server.adj.max_request_body_size
            message = f"Request body too large: this server takes bodies of up to {limit:,} bytes"
        body = json_bytes({"error_code": code.value, "message": message}) + b"\n"
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend([("Content-Type", "application/json"), *HEADERS.items()])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


def answer_api_errors_as_json() -> None:
    """HTTPChannel.error_task_class is waitress's seam for its error answers (3.0)."""
    HTTPChannel.error_task_class = ApiErrorTask


def serve(app: Flask, host: str, port: int, threads: int) -> None:
    """Block serving `app` on host:port until interrupted."""
    print(f"mlexp serving on http://{host}:{port} (instance: {app.instance_path})", flush=True)
    spool_bodies_into(app.config["PACKAGES_DIR"])
    answer_api_errors_as_json()
    start_checkpointer(app)
    waitress_serve(
        app,
        host=host,
        port=port,
        threads=threads,
        channel_timeout=300,
        connection_limit=1000,
        # Large socket reads: artifact bodies move at disk speed, not in 8 KB steps.
        recv_bytes=1024 * 1024,
        # Responses under 1 MB are sent by the main thread in one piece. At waitress's default (1)
        # the worker sends header and body itself: 0.2-0.3 ms sooner for one keep-alive client,
        # but log-metric with 8 clients on new connections fell from ~540 to ~380 calls/s.
        send_bytes=1024 * 1024,
        # Responses up to 32 MB (a search page of 1,000 runs is ~1.4 MB) are queued in memory, not
        # in a temporary file as beyond waitress's default 1 MB; the app holds them in memory anyway.
        outbuf_overflow=32 * 1024 * 1024,
        ident="mlexp",
        # waitress spools bodies to disk before the app sees them; let the app judge the size.
        max_request_body_size=int(app.config["MAX_UPLOAD_BYTES"]) + 1024 * 1024,
    )
