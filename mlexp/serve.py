"""Serve the app with waitress: one process, many threads.

Waitress sets TCP_NODELAY on every accepted socket by default (Adjustments.socket_options), so
small keep-alive responses never wait on Nagle's algorithm and delayed ACKs.
"""
from flask import Flask
from waitress import serve as waitress_serve


def serve(app: Flask, host: str, port: int, threads: int) -> None:
    """Block serving `app` on host:port until interrupted."""
    print(f"mlexp serving on http://{host}:{port} (instance: {app.instance_path})", flush=True)
    waitress_serve(
        app,
        host=host,
        port=port,
        threads=threads,
        channel_timeout=300,
        connection_limit=1000,
        # Large socket reads and writes: artifact bodies move at disk speed, not in 8 KB steps.
        recv_bytes=1024 * 1024,
        send_bytes=1024 * 1024,
        ident="mlexp",
        # waitress spools bodies to disk before the app sees them; let the app judge the size.
        max_request_body_size=int(app.config["MAX_UPLOAD_BYTES"]) + 1024 * 1024,
    )
