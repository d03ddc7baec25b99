"""SIGKILL the server in the middle of log-batch calls and uploads, restart it: nothing acknowledged is lost.

Writers record every acknowledged batch and upload. The kill waits until an upload's temp file
is on disk, so at least one upload is cut off mid-write. After the restart every acknowledged
metric, param and file must be there (files byte for byte), a batch without an answer must be
all there or not at all, and no listing may show a temp file or a partial file.
"""
import hashlib
import os
import random
import threading
import time

import requests

from tests.e2e.live_server import LiveServer

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
TEMP_PREFIX = ".mlexp-upload-"
BATCH_WRITERS = 4
UPLOAD_WRITERS = 3
POINTS_PER_BATCH = 20
KEYS = ("m0", "m1", "m2", "m3")


class BatchWriter(threading.Thread):
    """Logs numbered batches to its own run until the server stops answering."""

    def __init__(self, url: str, run_id: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.url, self.run_id, self.stop = url, run_id, stop
        self.acknowledged: list[int] = []
        self.unanswered: list[int] = []
        self.refused: list[tuple[int, int, str]] = []

    @staticmethod
    def points(batch: int) -> set[tuple[str, int, float, int]]:
        """(key, step, value, timestamp) of every metric point in batch number `batch`."""
        return {(KEYS[j % len(KEYS)], batch * POINTS_PER_BATCH + j, batch + j / 100, 1_700_000_000_000 + batch)
                for j in range(POINTS_PER_BATCH)}

    def run(self) -> None:
        session = requests.Session()
        batch = 0
        while not self.stop.is_set():
            body = {"run_id": self.run_id,
                    "metrics": [{"key": k, "value": v, "timestamp": t, "step": s}
                                for k, s, v, t in sorted(self.points(batch))],
                    "params": [{"key": f"p{batch}", "value": f"v{batch}"}]}
            try:
                response = session.post(self.url + API + "/runs/log-batch", json=body, timeout=30)
            except requests.RequestException:
                self.unanswered.append(batch)
                return
            if response.status_code == 200:
                self.acknowledged.append(batch)
            else:
                self.refused.append((batch, response.status_code, response.text))
            batch += 1


class UploadWriter(threading.Thread):
    """Uploads small and large files into its run's package until the server stops answering."""

    def __init__(self, url: str, package: str, number: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.url, self.package, self.number, self.stop = url, package, number, stop
        self.sent: dict[str, str] = {}  # every path attempted -> sha256 of its full content
        self.acknowledged: set[str] = set()
        self.refused: list[tuple[str, int, str]] = []
        self.random = random.Random(number)

    def run(self) -> None:
        session = requests.Session()
        upload = 0
        while not self.stop.is_set():
            size = self.random.randint(8, 16) * 1024 * 1024 if upload % 2 else self.random.randint(1, 64) * 1024
            data = self.random.randbytes(size)
            path = f"up/w{self.number}-{upload}.bin"
            self.sent[path] = hashlib.sha256(data).hexdigest()
            try:
                response = session.put(f"{self.url}{ARTIFACTS}/{self.package}/{path}", data=data, timeout=60)
            except requests.RequestException:
                return
            if response.status_code == 200:
                self.acknowledged.add(path)
            else:
                self.refused.append((path, response.status_code, response.text))
            upload += 1


def _temp_files(root: str) -> list[str]:
    return [os.path.join(folder, name) for folder, _, files in os.walk(root)
            for name in files if name.startswith(TEMP_PREFIX)]


def _post(url: str, path: str, body: dict) -> dict:
    response = requests.post(url + API + path, json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _kill_mid_upload(server: LiveServer, upload_folders: list[str], writers: list) -> int:
    """Let traffic flow, then SIGKILL the server as soon as an upload's temp file is on disk.

    Returns how many temp files were seen at the moment of the kill (0 if none showed up in time).
    """
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        if (sum(len(w.acknowledged) for w in writers) >= 60 and
                sum(1 for w in writers if isinstance(w, UploadWriter) and w.acknowledged) == UPLOAD_WRITERS):
            break
        time.sleep(0.05)
    deadline = time.monotonic() + 5
    seen = []
    while not seen and time.monotonic() < deadline:
        for folder in upload_folders:
            try:
                seen += [e.name for e in os.scandir(folder) if e.name.startswith(TEMP_PREFIX)]
            except FileNotFoundError:
                pass
    server.kill()
    return len(seen)


def _history(url: str, run_id: str) -> set[tuple[str, int, float, int]]:
    points = set()
    for key in KEYS:
        response = requests.get(url + API + "/metrics/get-history",
                                params={"run_id": run_id, "metric_key": key}, timeout=30)
        assert response.status_code == 200, response.text
        points |= {(m["key"], m["step"], m["value"], m["timestamp"]) for m in response.json().get("metrics", [])}
    return points


def _listed_names(url: str, run_id: str, package: str) -> list[str]:
    """Every name the two listing APIs show for the run, at its root and in up/."""
    names = []
    for path in ("", "up"):
        params = {"path": f"{package}/{path}".rstrip("/")}
        response = requests.get(url + ARTIFACTS, params=params, timeout=30)
        assert response.status_code == 200, response.text
        names += [f"{path}/{f['path']}".lstrip("/") for f in response.json().get("files", [])]
        response = requests.get(url + API + "/artifacts/list", params={"run_id": run_id, "path": path},
                                timeout=30)
        assert response.status_code == 200, response.text
        names += [f["path"] for f in response.json().get("files", [])]
    return names


def test_every_acknowledged_write_survives_when_the_server_is_killed_mid_traffic(tmp_path):
    instance = tmp_path / "instance"
    server = LiveServer(instance)
    try:
        experiment_id = _post(server.url, "/experiments/create", {"name": "crash"})["experiment_id"]
        runs = [_post(server.url, "/runs/create", {"experiment_id": experiment_id})["run"]["info"]
                for _ in range(BATCH_WRITERS + UPLOAD_WRITERS)]
    except BaseException:
        server.kill()
        raise
    packages = [r["artifact_uri"].removeprefix("mlflow-artifacts:/") for r in runs]
    stop = threading.Event()
    batchers = [BatchWriter(server.url, r["run_id"], stop) for r in runs[:BATCH_WRITERS]]
    uploaders = [UploadWriter(server.url, p, n, stop) for n, p in enumerate(packages[BATCH_WRITERS:])]
    for writer in batchers + uploaders:
        writer.start()
    upload_folders = [str(instance / "packages" / p / "up") for p in packages[BATCH_WRITERS:]]
    temp_at_kill = _kill_mid_upload(server, upload_folders, batchers + uploaders)
    stop.set()
    for writer in batchers + uploaders:
        writer.join(timeout=60)
    temp_left = _temp_files(str(instance / "packages"))
    # A temp file a crash might leave at a run's root as well, in case the kill missed every upload.
    planted = instance / "packages" / packages[-1] / f"{TEMP_PREFIX}planted"
    planted.write_bytes(b"half")

    restarted = LiveServer(instance, log_name="server-restarted.log")
    try:
        lost_points = lost_params = lost_files = partial_batches = whole_unanswered = 0
        acked_points = acked_params = 0
        for writer in batchers:
            assert writer.refused == [], writer.refused[:3]
            stored = _history(restarted.url, writer.run_id)
            params = {p["key"]: p["value"] for p in requests.get(
                restarted.url + API + "/runs/get", params={"run_id": writer.run_id}, timeout=30
            ).json()["run"]["data"].get("params", [])}
            for batch in writer.acknowledged:
                acked_points += POINTS_PER_BATCH
                acked_params += 1
                lost_points += len(writer.points(batch) - stored)
                lost_params += params.get(f"p{batch}") != f"v{batch}"
            for batch in writer.unanswered:  # all or nothing, whichever it was
                present = len(writer.points(batch) & stored) + (f"p{batch}" in params)
                partial_batches += present not in (0, POINTS_PER_BATCH + 1)
                whole_unanswered += present == POINTS_PER_BATCH + 1
            expected = set().union(*(writer.points(b) for b in writer.acknowledged + writer.unanswered))
            assert stored <= expected, "points nobody logged"

        acked_files = acked_bytes = 0
        half_written_visible = temp_visible = unanswered_uploads_whole = 0
        for writer, run in zip(uploaders, runs[BATCH_WRITERS:]):
            assert writer.refused == [], writer.refused[:3]
            listed = _listed_names(restarted.url, run["run_id"], writer.package)
            temp_visible += sum(1 for name in listed if os.path.basename(name).startswith(TEMP_PREFIX))
            listed_files = {name for name in listed if name.startswith("up/") and name.endswith(".bin")}
            for path in writer.acknowledged | listed_files:
                response = requests.get(f"{restarted.url}{ARTIFACTS}/{writer.package}/{path}", timeout=60)
                digest = hashlib.sha256(response.content).hexdigest() if response.status_code == 200 else None
                if path in writer.acknowledged:
                    acked_files += 1
                    acked_bytes += len(response.content)
                    lost_files += digest != writer.sent[path] or path not in listed_files
                elif digest != writer.sent.get(path):
                    half_written_visible += 1
                else:
                    unanswered_uploads_whole += 1
        planted_download = requests.get(f"{restarted.url}{ARTIFACTS}/{packages[-1]}/{planted.name}", timeout=30)
        log = restarted.log()
    finally:
        restarted.stop()
    temp_after_restart = _temp_files(str(instance / "packages"))

    unanswered = sum(len(w.unanswered) for w in batchers)
    unanswered_uploads = sum(len(w.sent) - len(w.acknowledged) for w in uploaders)
    lost = lost_points + lost_params + lost_files
    print(f"\ncrash test: acknowledged {acked_points} metric points and {acked_params} params in "
          f"{acked_params} batches, {acked_files} uploads ({acked_bytes / 2**20:.1f} MiB); "
          f"unanswered at the kill: {unanswered} batches ({whole_unanswered} stored whole, "
          f"{partial_batches} partly) and {unanswered_uploads} uploads ({unanswered_uploads_whole} stored whole); "
          f"upload temp files on disk: {temp_at_kill} seen at the kill, {len(temp_left)} left after it "
          f"(+1 planted), {len(temp_after_restart)} after the restart; visible in listings: "
          f"{temp_visible} temp, {half_written_visible} half-written; lost writes: {lost} "
          f"({lost_points} points, {lost_params} params, {lost_files} files)")
    assert "Traceback" not in log and "mlexp serving on" in log, log
    assert acked_points > 0 and acked_files > 0
    assert lost == 0
    assert partial_batches == 0
    assert temp_visible == 0
    assert planted_download.status_code == 404  # not even by its name
    assert half_written_visible == 0
    assert temp_after_restart == []  # the restart removed what the crash left behind
