"""Start and stop `python app.py` servers: every test tier that needs a live server uses this."""
import os
import signal
import socket
import subprocess
import sys
import time

import requests

from tests import databases

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class LiveServer:
    """One `python app.py` process on a free port of `host`, serving `instance` (its database where
    this test run keeps them: see tests/databases.py); `url` is on loopback either way."""

    def __init__(self, instance, log_name: str = "server.log", host: str = "127.0.0.1"):
        self.instance = str(instance)
        self.port = free_port(host)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(self.instance, log_name)
        os.makedirs(self.instance, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command(host), cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: a kill reaches gunicorn's workers too
                env={**os.environ, "MLEXP_INSTANCE": self.instance, **databases.instance_env(self.instance)},
            )
        self._wait_until_healthy()

    def command(self, host: str) -> list[str]:
        return [sys.executable, "app.py", "--host", host, "--port", str(self.port), "--instance", self.instance]

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.url + "/health", timeout=1).text == "OK":
                    return
            except (requests.ConnectionError, requests.Timeout):  # not listening, or workers still booting
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self._kill_group()
                raise RuntimeError("server did not start:\n" + self.log())
            time.sleep(0.05)

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as fh:
            return fh.read()

    def stop(self) -> None:
        """SIGTERM, then wait; SIGKILL if it does not go within 10 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._kill_group()

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or cleaned up, as in a crash."""
        self._kill_group()

    def _kill_group(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


class GunicornServer(LiveServer):
    """The team deployment README.md describes: gunicorn's threaded workers, several processes."""

    def __init__(self, instance, workers: int, threads: int = 4, log_name: str = "gunicorn.log"):
        self.workers, self.threads = workers, threads
        super().__init__(instance, log_name)

    def command(self, host: str) -> list[str]:
        return [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--threads", str(self.threads),
                "--bind", f"{host}:{self.port}", "app:app"]
