"""Serve the app with waitress: one process, many threads, TCP_NODELAY on every socket."""
import socket

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
        # Small keep-alive responses must not wait for delayed ACKs (Nagle's algorithm).
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
        channel_timeout=300,
        connection_limit=1000,
        ident="mlexp",
    )
