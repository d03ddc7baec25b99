"""Benchmark: upload and download one large artifact through mlexp's mlflow-artifacts API.

Starts its own server on a free loopback port (unless --url is given), moves a file of
--size-mb up and down with streaming HTTP, and prints MB/s each way plus the server's peak
resident memory. Usage: python bench/artifacts.py [--size-mb 1024] [--url http://...]
"""
import argparse
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHUNK = 4 * 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(instance: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "app.py", "--port", str(port), "--instance", instance],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "MLEXP_ACCESS_LOG": "false"})
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if requests.get(url + "/health", timeout=1).ok:
                return process, url
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def make_file(path: str, size_mb: int) -> str:
    digest = hashlib.sha256()
    block = os.urandom(CHUNK)
    with open(path, "wb") as out:
        for _ in range(size_mb * 1024 * 1024 // CHUNK):
            out.write(block)
            digest.update(block)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--url", help="an already running server (memory is then not reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        process = None
        url = args.url
        if url is None:
            process, url = start_server(os.path.join(work, "instance"))
        try:
            api = url + "/api/2.0/mlflow"
            experiment_id = requests.post(api + "/experiments/create",
                                          json={"name": f"bench-{time.time_ns()}"}).json()["experiment_id"]
            run = requests.post(api + "/runs/create", json={"experiment_id": experiment_id}).json()["run"]
            uri = run["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
            target = f"{url}/api/2.0/mlflow-artifacts/artifacts/{uri}/big.bin"
            source = os.path.join(work, "big.bin")
            digest = make_file(source, args.size_mb)
            size = os.path.getsize(source)

            started = time.perf_counter()
            with open(source, "rb") as body:
                response = requests.put(target, data=body)
            up_seconds = time.perf_counter() - started
            response.raise_for_status()
            os.remove(source)

            started = time.perf_counter()
            check = hashlib.sha256()
            with requests.get(target, stream=True) as response:
                response.raise_for_status()
                for chunk in response.iter_content(CHUNK):
                    check.update(chunk)
            down_seconds = time.perf_counter() - started
            if check.hexdigest() != digest:
                raise SystemExit("download does not match upload")

            result = {
                "size_mb": size / 1e6,
                "upload_mb_s": round(size / 1e6 / up_seconds, 1),
                "download_mb_s": round(size / 1e6 / down_seconds, 1),
                "server_peak_rss_mb": round(peak_rss_mb(process.pid), 1) if process else None,
            }
            print(f"{'artifact size':<22}{result['size_mb']:>10.0f} MB")
            print(f"{'upload':<22}{result['upload_mb_s']:>10.1f} MB/s")
            print(f"{'download':<22}{result['download_mb_s']:>10.1f} MB/s")
            if process:
                print(f"{'server peak RSS':<22}{result['server_peak_rss_mb']:>10.1f} MB")
            print(json.dumps(result))
        finally:
            if process:
                process.terminate()
                process.wait()


if __name__ == "__main__":
    main()
