"""Serve the app with waitress: one process, many threads, and a main loop no client can stop.

- The loop waits with poll(), not select(), which fails for good once a descriptor number
  passes 1023; the descriptor limit is raised to the hard limit at start.
- Idle keep-alive connections and requests that stop sending are closed after a few seconds
  (IDLE_TIMEOUT, REQUEST_TIMEOUT), and headers must be complete within REQUEST_TIMEOUT however
  slowly they trickle. At CONNECTION_LIMIT the idlest connection is closed to make room, so a
  new client is still answered while thousands of idle ones are open.
- The gate (http/gate.py) decides each request as soon as its headers are in. A refused request
  goes on without its body, which is never received: the connection closes after the answer,
  first draining what the client already sent for a moment so the answer is not lost to a reset.
- Waitress spools big bodies to a temporary file; that file is a named one in the packages
  folder (spool_bodies_into), so an artifact upload is hard-linked into place instead of written
  a second time (1 GiB uploads ~450-525 → ~800 MB/s, server memory flat).
- Waitress sets TCP_NODELAY on every accepted socket, so small keep-alive answers never wait on
  Nagle's algorithm and delayed ACKs.
"""
import copy
import functools
import logging
import os
import socket
import tempfile
import time

from flask import Flask
from waitress import buffers
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher, WSGITask

from mlexp.storage.checkpoints import start_checkpointer
from mlexp.errors import InvalidParameter, MlflowError
from mlexp.http.errors import error_json
from mlexp.http.gate import ADMISSION, Gate, RequestHead
from mlexp.http.headers import HEADERS
from mlexp.http.paths import is_api_path
from mlexp.artifacts.upload_files import TEMP_PREFIX

try:
    import fcntl
except ImportError:  # no flock: spools are then cleaned up by age like other temp files
    fcntl = None
try:
    import resource
except ImportError:  # not POSIX: the platform's own limit stands
    resource = None

SPOOL_FOLDER = TEMP_PREFIX + "spool"  # a reserved name: hidden from listings, refused by the API
LINGER_SECONDS = 2.0  # after refusing a body: how long what the client still sends is drained
LINGER_MAX_BYTES = 64 * 1024 * 1024
DESCRIPTORS_PER_CONNECTION = 2  # the socket, and a spool file while a big body arrives
RESERVED_DESCRIPTORS = 128  # the database, log files, the listening sockets, the trigger
ACCEPT_BATCH = 64
log = logging.getLogger("mlexp.serve")


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
    if os.path.islink(folder):  # bodies would be spooled wherever it points
        log.warning("%s was a symbolic link; replaced by a folder", folder)
        os.unlink(folder)
    os.makedirs(folder, exist_ok=True)
    if hasattr(buffers.TempfileBasedBuffer, "newfile"):
        buffers.TempfileBasedBuffer.newfile = lambda _buffer: _named_spool(folder)


def raise_descriptor_limit() -> int:
    """Lift this process's soft limit on open descriptors to the hard one; returns the limit."""
    if resource is None:
        return 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


class GatedParser(HTTPRequestParser):
    """waitress's parser, asking the gate as soon as the headers are in (HTTPChannel.parser_class
    is waitress's seam for it, 3.0). A refused request, or one declaring a body over its limit,
    goes on without the body: it is answered, and its connection closed, unread."""

    admission = None
    refused_body = False

    def __init__(self, adj, gate: Gate):
        super().__init__(adj)
        self.gate = gate
        self.started = time.monotonic()

    def parse_header(self, header_plus):
        super().parse_header(header_plus)
        headers = self.headers
        head = RequestHead(
            method=self.command, path=self.path, host=headers.get("HOST"),
            origin=headers.get("ORIGIN"), authorization=headers.get("AUTHORIZATION"),
            cookie=headers.get("COOKIE"), content_type=headers.get("CONTENT_TYPE"),
            content_length=self.content_length, chunked=self.chunked,
            preflight=self.command == "OPTIONS" and "ACCESS_CONTROL_REQUEST_METHOD" in headers)
        self.admission = self.gate.admit(head)
        if self.admission.refusal is not None or self.admission.preflight:
            if head.has_body:
                self._drop_body()
        elif self.chunked:
            # A chunked body's size is known only as it arrives: waitress stops at this limit.
            self.adj = copy.copy(self.adj)
            self.adj.max_request_body_size = self.admission.body_limit + 1

    def _drop_body(self):
        self.refused_body = True
        self.body_rcv = None
        self.chunked = False
        self.content_length = 0
        self.expect_continue = False  # no "100 Continue": the client need not send it
        self.connection_close = True
        self.headers["CONTENT_LENGTH"] = "0"
        self.headers["CONNECTION"] = "close"

    def received(self, data):
        consumed = super().received(data)
        # What followed the headers of a refused request is its body, never a next request.
        return len(data) if self.refused_body else consumed


class GatedTask(WSGITask):
    """Hands the gate's decision to the app, so the request is not decided twice."""

    def get_environment(self):
        environ = super().get_environment()
        environ[ADMISSION] = self.request.admission
        if self.request.refused_body:
            self.channel.refused_body = True
        return environ


class ApiErrorTask(ErrorTask):
    """waitress's own error answers, given before the app sees a request (a chunked body past its
    limit, a malformed Content-Length or chunk), as MLflow's error JSON on API paths, keeping
    waitress's status; elsewhere waitress's plain text."""

    def execute(self):
        self.channel.refused_body = True  # what the client still sends is drained, not read
        if not is_api_path(getattr(self.request, "path", None) or ""):
            return super().execute()
        error = self.request.error
        message = f"{error.reason}: {error.body}"
        if error.code == 413:
            limit = self.request.adj.max_request_body_size - 1
            message = f"Request body too large: this server takes bodies of up to {limit:,} bytes"
        kind = InvalidParameter if error.code < 500 else MlflowError
        body = error_json(kind(message, status=error.code))
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend([("Content-Type", "application/json"), *HEADERS.items()])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class GuardedChannel(HTTPChannel):
    """A connection: its parser asks the gate; after refusing a body, it closes gracefully.

    The server closes a connection of its own accord (idle, stalled, or to make room) by dooming
    it: the socket is closed on the loop's next turn, in the connection's own write event. Closing
    it at once could free its descriptor number to a connection accepted in the same turn, which
    would then receive the events poll() reported for the closed one.
    """

    task_class = GatedTask
    error_task_class = ApiErrorTask
    refused_body = False
    linger_until = None
    lingered = 0
    doomed = False

    def handle_close(self):
        if self.refused_body and self.linger_until is None and self.socket is not None:
            # Closing with unread data would send a reset, which can destroy the answer before
            # the client reads it: send our end's FIN, then drain for a moment.
            try:
                self.socket.shutdown(socket.SHUT_WR)
            except OSError:
                return super().handle_close()
            self.linger_until = time.monotonic() + LINGER_SECONDS
            self.will_close = self.close_when_flushed = False
            return None
        return super().handle_close()

    def readable(self):
        if self.doomed:
            return False
        return True if self.linger_until is not None else super().readable()

    def writable(self):
        if self.doomed:
            return True
        return False if self.linger_until is not None else super().writable()

    def handle_read(self):
        if self.linger_until is None:
            return super().handle_read()
        data = self.recv(self.adj.recv_bytes)  # b"" (and closed) once the client is done
        self.lingered += len(data)
        if self.socket is not None and (self.lingered > LINGER_MAX_BYTES or time.monotonic() > self.linger_until):
            self.doom()
        return None

    def handle_write(self):
        if self.doomed:
            self.refused_body = False
            return super().handle_close()
        return super().handle_write()

    def doom(self):
        """Close on the loop's next turn (main thread only)."""
        if not self.doomed and self.socket is not None:
            self.doomed = True
            self.server.doomed_count += 1

    def del_channel(self, map=None):
        if self.doomed and self._fileno is not None:
            self.server.doomed_count -= 1
        super().del_channel(map)


class GuardedServer(TcpWSGIServer):
    """A listening socket whose connections are kept in check (see the module's docstring)."""

    doomed_count = 0  # connections of this server doomed and not yet closed

    def __init__(self, application, gate: Gate, timeouts: tuple[float, float], **kw):
        self.idle_timeout, self.request_timeout = timeouts
        self.channel_class = type("Channel", (GuardedChannel,), {
            "parser_class": functools.partial(GatedParser, gate=gate)})
        super().__init__(application, **kw)

    def readable(self):
        now = time.time()
        if now >= self.next_channel_cleanup:
            self.next_channel_cleanup = now + self.adj.cleanup_interval
            self.maintenance(now)
        if not self.accepting:
            return False
        if len(self._map) - self.doomed_count >= self.adj.connection_limit and not self._make_room():
            if not self.in_connection_overflow:
                self.in_connection_overflow = True
                log.warning("%d connections are open and all are busy: not accepting more "
                            "until one finishes", len(self._map))
            return False
        self.in_connection_overflow = False
        return True

    def handle_accept(self):
        """Take every waiting connection (up to ACCEPT_BATCH), not one per turn of the loop,
        whose every turn costs time in proportion to the open connections."""
        for _ in range(ACCEPT_BATCH):
            before = len(self._map)
            super().handle_accept()
            if len(self._map) == before or len(self._map) - self.doomed_count >= self.adj.connection_limit:
                return

    def _make_room(self) -> bool:
        """Doom the idlest connections (a hundredth of the limit); False if all are busy."""
        idle = sorted((c for c in self.active_channels.values() if not c.requests and not c.doomed),
                      key=lambda c: (c.linger_until is None, c.request is not None, c.last_activity))
        for channel in idle[:max(1, self.adj.connection_limit // 100)]:
            channel.doom()
        return bool(idle)

    def maintenance(self, now):
        """Doom what lingers past its moment, idles past IDLE_TIMEOUT, or stalls (no bytes in
        or out, or headers still incomplete) past REQUEST_TIMEOUT; the app's requests are left."""
        monotonic = time.monotonic()
        for channel in list(self.active_channels.values()):
            if channel.linger_until is not None:
                if monotonic > channel.linger_until:
                    channel.doom()
            elif channel.requests:
                continue
            elif channel.request is None and not channel.total_outbufs_len:
                if channel.last_activity < now - self.idle_timeout:
                    channel.doom()
            elif channel.last_activity < now - self.request_timeout or (
                    channel.request is not None and not channel.request.headers_finished
                    and channel.request.started < monotonic - self.request_timeout):
                channel.doom()


def connection_limit(configured: int, descriptors: int) -> int:
    """The configured limit, or what the descriptor limit leaves room for if that is less."""
    room = (descriptors - RESERVED_DESCRIPTORS) // DESCRIPTORS_PER_CONNECTION
    return max(16, min(int(configured), room))


def serve(app: Flask, host: str, port: int, threads: int) -> None:
    """Block serving `app` on host:port until interrupted."""
    print(f"mlexp serving on http://{host}:{port} (instance: {app.instance_path})", flush=True)
    limit = connection_limit(app.config["CONNECTION_LIMIT"], raise_descriptor_limit())
    spool_bodies_into(app.config["PACKAGES_DIR"])
    start_checkpointer(app)
    adj = Adjustments(
        host=host, port=port, threads=threads, ident="mlexp",
        asyncore_use_poll=True, connection_limit=limit, cleanup_interval=1,
        channel_timeout=float(app.config["IDLE_TIMEOUT"]),
        # Headers are small (the MLflow client's ~300 bytes, a browser's few KB with cookies).
        max_request_header_size=64 * 1024,
        # Bodies over 256 KB go to a spool file: thousands of half-sent bodies stay out of memory.
        inbuf_overflow=256 * 1024,
        # Large socket reads: artifact bodies move at disk speed, not in 8 KB steps.
        recv_bytes=1024 * 1024,
        # Responses under 1 MB are sent by the main thread in one piece. At waitress's default (1)
        # the worker sends header and body itself: 0.2-0.3 ms sooner for one keep-alive client,
        # but log-metric with 8 clients on new connections fell from ~540 to ~380 calls/s.
        send_bytes=1024 * 1024,
        # Responses up to 32 MB (a search page of 1,000 runs is ~1.4 MB) are queued in memory, not
        # in a temporary file as beyond waitress's default 1 MB; the app holds them in memory anyway.
        outbuf_overflow=32 * 1024 * 1024,
        # The gate sets each request's own limit; this only bounds what waitress would ever take.
        max_request_body_size=int(app.config["MAX_UPLOAD_BYTES"]) + 1,
    )
    _create_server(app, adj).run()


def _create_server(app: Flask, adj: Adjustments):
    """waitress's create_server for TCP, with GuardedServer on every listening socket."""
    socket_map: dict = {}
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    timeouts = (float(app.config["IDLE_TIMEOUT"]), float(app.config["REQUEST_TIMEOUT"]))
    servers = [GuardedServer(app, app.extensions["mlexp.gate"], timeouts, map=socket_map,
                             dispatcher=dispatcher, adj=adj, sockinfo=sockinfo)
               for sockinfo in adj.listen]
    if len(servers) == 1:
        return servers[0]
    listening = [(server.effective_host, server.effective_port) for server in servers]
    return MultiSocketServer(socket_map, adj, listening, dispatcher, servers[-1].log_info)
