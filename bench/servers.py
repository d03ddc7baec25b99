"""Servers under benchmark: start mlexp or MLflow's own server on a free loopback port, time the
start to the first answer of /health and of a first API call, read the memory of its whole
process tree, stop it.

Memory is read from /proc: VmRSS (now) and VmHWM (peak since start, or since `reset_peak`) of every
process in the tree, summed, so MLflow's uvicorn workers and job-runner processes count as well as
the single mlexp process. PSS (shared pages split between processes) is reported next to it.
"""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    """A server to drive: `url` always; `process` only when this script started it."""

    def __init__(self, name: str, url: str, process: subprocess.Popen | None = None,
                 startup_seconds: float | None = None, log_path: str | None = None):
        self.name, self.url, self.process = name, url, process
        self.startup_seconds, self.log_path = startup_seconds, log_path
        self.first_api_seconds: float | None = None  # start to the answer of a first API call
        self.idle_memory: dict | None = None  # memory_mb() read soon after start, before any work

    def pids(self) -> list[int]:
        """The started process and all its descendants (empty for a server given by --url)."""
        if self.process is None:
            return []
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(_children(pid))
        return found

    def memory_mb(self) -> dict | None:
        """Summed RSS, peak RSS (VmHWM) and PSS of the process tree, in MB."""
        pids = self.pids()
        if not pids:
            return None
        return {"rss_mb": round(sum(_status_kb(p, "VmRSS") for p in pids) / 1024, 1),
                "peak_rss_mb": round(sum(_status_kb(p, "VmHWM") for p in pids) / 1024, 1),
                "pss_mb": round(sum(_pss_kb(p) for p in pids) / 1024, 1),
                "processes": len(pids)}

    def reset_peak(self) -> None:
        """Restart VmHWM from the current RSS (Linux: write 5 to clear_refs), where permitted."""
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/clear_refs", "w") as f:
                    f.write("5")
            except OSError:
                pass

    def log_lines(self, text: str) -> int:
        """How many lines of the server's output contain text (0 when it was not started here)."""
        if not self.log_path or not os.path.exists(self.log_path):
            return 0
        with open(self.log_path, errors="replace") as log:
            return sum(text in line for line in log)

    def stop(self) -> None:
        """Terminate the process group this script created, then kill whatever is left of it."""
        if self.process is None:
            return
        pgid = self.process.pid  # started with start_new_session: its own process group
        _signal_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (self.process.poll() is None or _group_members(pgid)):
            time.sleep(0.1)
        _signal_group(pgid, signal.SIGKILL)  # MLflow's job-runner consumers may ignore SIGTERM
        self.process.wait()


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    members.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return members


def _start(name: str, command: list[str], port: int, log_path: str, env: dict, timeout: float) -> Server:
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
    server = Server(name, url, process, log_path=log_path)
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:
                if response.status == 200:
                    server.startup_seconds = time.perf_counter() - started
                    break
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if process.poll() is not None or time.perf_counter() - started > timeout:
            server.stop()
            with open(log_path, errors="replace") as log:
                raise RuntimeError(f"{name} did not start:\n{log.read()[-3000:]}")
        time.sleep(0.005)  # a finer poll measures the start to within ~5 ms
    # Outside the poll: a failing first API call is an error, not a reason to poll /health again.
    try:
        server.first_api_seconds = _first_api_answer(url) - started
    except OSError:
        server.stop()
        raise
    time.sleep(0.5)
    if process.poll() is not None:  # someone else answered on that port and ours failed to bind
        with open(log_path, errors="replace") as log:
            raise RuntimeError(f"{name} exited after start:\n{log.read()[-3000:]}")
    return server


def _first_api_answer(url: str) -> float:
    """When an experiment search, sent as soon as /health answered, was answered: what a client's
    first call waits for (a server may answer /health before all of it is ready)."""
    request = urllib.request.Request(url + "/api/2.0/mlflow/experiments/search", data=b'{"max_results": 1}',
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
    return time.perf_counter()


def start_mlexp(workdir: str) -> Server:
    """`python app.py --port <free> --instance <workdir>/mlexp` on a fresh instance.

    The project is byte-compiled first, as pip compiles the packages it installs (and MLflow's
    are), and the server may write its bytecode caches, as on a user's machine: with
    PYTHONDONTWRITEBYTECODE set in the environment, every start recompiled whichever of mlexp's
    modules had changed since their caches were written, and the start measured the compiler."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "app.py", "mlexp"], cwd=ROOT, check=True)
    port = free_port()
    instance = os.path.join(workdir, "mlexp")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return _start("mlexp", [sys.executable, "app.py", "--port", str(port), "--instance", instance], port,
                  os.path.join(workdir, "mlexp.log"), {**env, "MLEXP_ACCESS_LOG": "false"}, 60)


def start_mlflow(workdir: str) -> Server:
    """`mlflow server` with a fresh SQLite backend and proxied artifacts, otherwise its defaults
    (4 uvicorn workers in 3.17) except a patient worker health check; new experiments get
    `mlflow-artifacts:/<id>` locations."""
    port = free_port()
    store = os.path.join(workdir, "mlflow")
    os.makedirs(store, exist_ok=True)
    command = [sys.executable, "-m", "mlflow", "server",
               "--backend-store-uri", f"sqlite:///{store}/mlflow.db",
               "--serve-artifacts", "--artifacts-destination", os.path.join(store, "artifacts"),
               "--host", "127.0.0.1", "--port", str(port),
               # uvicorn's supervisor kills a worker that misses a 5 s health ping; on a loaded
               # 2-core machine that became a loop of killed and restarted (re-importing) workers.
               "--uvicorn-opts", "--timeout-worker-healthcheck 120"]
    return _start("mlflow", command, port, os.path.join(workdir, "mlflow.log"), dict(os.environ), 180)
