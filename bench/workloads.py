"""The work bench/compare.py puts on a server, written against the MLflow REST API only.

Every request goes over a fresh TCP connection (http.client, one connection per request, closed
after the answer), as in issue 8's targets; the JSON is encoded and decoded in the timed part, as a
client must. Concurrent clients are threads by default (see bench/compare.py for why) or forked
processes; each client loops until the workload's time is up and keeps its own latencies.
"""
import http.client
import json
import math
import multiprocessing
import random
import resource
import statistics
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from functools import cache

API = "/api/2.0/mlflow/"
SEARCH_FILTER = "metrics.m0 > 0.5 and params.p1 = 'a'"
SEARCH_ORDER = ["metrics.m0 DESC"]
EPOCH_MS = 1_700_000_000_000


class RequestFailed(Exception):
    """A non-200 answer or a broken connection."""


@cache
def split_url(url: str) -> tuple[str, int, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.hostname, parts.port or 80, parts.path.rstrip("/")


def call(url: str, method: str, endpoint: str, body: dict | None = None, query: dict | None = None) -> dict:
    """One MLflow REST call on a new connection; returns the decoded JSON answer."""
    host, port, base = split_url(url)
    path = base + API + endpoint + ("?" + urllib.parse.urlencode(query, doseq=True) if query else "")
    conn = http.client.HTTPConnection(host, port, timeout=600)
    try:
        if body is None:
            conn.request(method, path)
        else:  # headers and a bytes body leave in one send(): no Nagle/delayed-ACK stall
            conn.request(method, path, body=json.dumps(body).encode(),
                         headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        payload = response.read()
    except OSError as exc:
        raise RequestFailed(f"{method} {endpoint}: {exc!r}") from exc
    finally:
        conn.close()
    if response.status != 200:
        raise RequestFailed(f"{method} {endpoint}: HTTP {response.status} {payload[:300]!r}")
    return json.loads(payload) if payload else {}


def now_ms() -> int:
    return int(time.time() * 1000)


def create_experiment(url: str, label: str) -> str:
    name = f"bench-{label}-{time.time_ns()}"
    return call(url, "POST", "experiments/create", {"name": name})["experiment_id"]


def create_run(url: str, experiment_id: str, name: str | None = None, start_time: int | None = None) -> dict:
    body = {"experiment_id": experiment_id, "user_id": "bench", "start_time": start_time or now_ms()}
    if name:
        body["run_name"] = name
    return call(url, "POST", "runs/create", body)["run"]["info"]


# --- operations a client repeats: op(url, arg, n) with arg the client's own state ----------------

def op_log_metric(url: str, run_id: str, n: int) -> None:
    call(url, "POST", "runs/log-metric",
         {"run_id": run_id, "key": "loss", "value": 1.0 / (n + 1), "timestamp": now_ms(), "step": n})


def op_log_batch(url: str, run_id: str, n: int) -> None:
    """100 metrics at step n and 10 params new to the run (params cannot change value)."""
    ts = now_ms()
    call(url, "POST", "runs/log-batch", {
        "run_id": run_id,
        "metrics": [{"key": f"m{i}", "value": (n * 100 + i) % 997 / 997.0, "timestamp": ts, "step": n}
                    for i in range(100)],
        "params": [{"key": f"p{n}_{i}", "value": str(i)} for i in range(10)]})


def op_create_finish(url: str, experiment_id: str, n: int) -> None:
    run_id = create_run(url, experiment_id, name=f"r{n}")["run_id"]
    call(url, "POST", "runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": now_ms()})


def op_search_filtered(url: str, experiment_id: str, n: int) -> list:
    return call(url, "POST", "runs/search", {"experiment_ids": [experiment_id], "filter": SEARCH_FILTER,
                                             "order_by": SEARCH_ORDER, "max_results": 100}).get("runs", [])


def get_history(url: str, run_id: str, key: str) -> int:
    """All points of a metric, paged as the MLflow client pages (25,000 a request)."""
    count, token = 0, None
    while True:
        query = {"run_id": run_id, "metric_key": key, "max_results": 25000}
        if token:
            query["page_token"] = token
        page = call(url, "GET", "metrics/get-history", query=query)
        count += len(page.get("metrics", []))
        token = page.get("next_page_token")
        if not token:
            return count


# --- concurrent clients, each bounded in time -----------------------------------------------------

def _client_loop(op, url: str, arg, start_at: float, seconds: float) -> tuple[list, int, str | None, float]:
    """Repeat op until start_at + seconds; time.monotonic is one clock for all processes."""
    while (wait := start_at - time.monotonic()) > 0:
        time.sleep(min(wait, 0.01))
    deadline = start_at + seconds
    latencies, errors, first_error, n = [], 0, None, 0
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            op(url, arg, n)
        except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
            errors += 1
            first_error = first_error or repr(exc)[:300]
        else:
            latencies.append(time.perf_counter() - started)
        n += 1
    return latencies, errors, first_error, time.monotonic()


def summarize(latencies: list[float], elapsed: float, errors: int = 0, first_error: str | None = None) -> dict:
    ordered = sorted(latencies)
    result = {"ops": len(ordered), "elapsed_s": round(elapsed, 3),
              "ops_s": float(f"{len(ordered) / elapsed:.4g}") if elapsed > 0 else None,
              "p50_ms": round(statistics.median(ordered) * 1000, 2) if ordered else None,
              "p99_ms": round(ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)] * 1000, 2) if ordered else None,
              "errors": errors}
    if first_error:
        result["first_error"] = first_error
    return result


def run_clients(op, url: str, args: list, seconds: float, mode: str) -> dict:
    """Run one client per element of args, all starting together; pooled latencies and ops/s."""
    clients = len(args)
    start_at = time.monotonic() + (0.3 if mode == "process" and clients > 1 else 0.02)
    jobs = [(op, url, arg, start_at, seconds) for arg in args]
    cpu_before = _client_cpu()
    if clients == 1:
        outcomes = [_client_loop(*jobs[0])]
    elif mode == "process":
        with multiprocessing.get_context("fork").Pool(clients) as pool:
            outcomes = pool.starmap(_client_loop, jobs)
    else:
        with ThreadPoolExecutor(clients) as pool:
            outcomes = list(pool.map(lambda job: _client_loop(*job), jobs))
    latencies = [x for outcome in outcomes for x in outcome[0]]
    errors = sum(outcome[1] for outcome in outcomes)
    first_error = next((outcome[2] for outcome in outcomes if outcome[2]), None)
    elapsed = max(outcome[3] for outcome in outcomes) - start_at
    result = {"clients": clients, **summarize(latencies, elapsed, errors, first_error)}
    # CPU this benchmark's clients used, in cores: near 1.0 with threads means the GIL limits them.
    result["client_cpu_cores"] = round((_client_cpu() - cpu_before) / elapsed, 2)
    return result


def _client_cpu() -> float:
    """CPU seconds of this process (all threads) and of its reaped children (forked clients)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def in_parallel(function, items: list, workers: int = 8, progress=None) -> list:
    """Untimed setup work, spread over threads; progress(done, total) about every 10%."""
    results, step = [], max(1, len(items) // 10)
    pool = ThreadPoolExecutor(workers)
    try:
        for done, result in enumerate(pool.map(function, items), 1):
            results.append(result)
            if progress and (done % step == 0 or done == len(items)):
                progress(done, len(items))
    finally:  # on an error or Ctrl-C, drop the queued work instead of finishing it
        pool.shutdown(wait=True, cancel_futures=True)
    return results


# --- setups: identical data on every server, created through the REST API -----------------------

def warm_up(url: str, clients: int = 8, rounds: int = 4) -> None:
    """A few of every request kind from concurrent connections, so every worker process of a
    multi-process server has opened its store and imported its handlers before anything is timed."""
    experiment_id = create_experiment(url, "warmup")

    def one(index: int) -> None:
        run_id = create_run(url, experiment_id)["run_id"]
        op_log_metric(url, run_id, index)
        op_log_batch(url, run_id, index)
        op_search_filtered(url, experiment_id, index)
        get_history(url, run_id, "loss")
        call(url, "POST", "runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": now_ms()})

    in_parallel(one, list(range(clients * rounds)), workers=clients)


def search_specs(runs: int) -> list[tuple[int, list[str], list[float]]]:
    rng = random.Random(42)
    return [(i, [rng.choice("abcd") for _ in range(10)], [rng.random() for _ in range(10)])
            for i in range(1, runs + 1)]


def expected_filtered(specs: list) -> list[str]:
    """Run names the filtered search must return, in order (computed here, not by a server)."""
    hits = [(metrics[0], f"run-{i}") for i, params, metrics in specs if metrics[0] > 0.5 and params[1] == "a"]
    return [name for _, name in sorted(hits, reverse=True)[:100]]


def populate_search(url: str, specs: list, progress=None) -> str:
    """One experiment of len(specs) runs, 10 params and 10 metrics each, via create + log-batch."""
    experiment_id = create_experiment(url, "search")

    def make(spec):
        i, params, metrics = spec
        run_id = create_run(url, experiment_id, name=f"run-{i}", start_time=EPOCH_MS + i)["run_id"]
        call(url, "POST", "runs/log-batch", {
            "run_id": run_id,
            "params": [{"key": f"p{j}", "value": v} for j, v in enumerate(params)],
            "metrics": [{"key": f"m{j}", "value": v, "timestamp": EPOCH_MS + i, "step": 0}
                        for j, v in enumerate(metrics)]})

    in_parallel(make, specs, progress=progress)
    return experiment_id


def run_name(run: dict) -> str | None:
    info = run["info"]
    return info.get("run_name") or next((t["value"] for t in run.get("data", {}).get("tags", [])
                                         if t["key"] == "mlflow.runName"), None)


def page_all(url: str, experiment_id: str) -> tuple[int, int]:
    """Page through every run 1,000 at a time; returns (distinct runs seen, pages)."""
    seen, token, pages = set(), None, 0
    while True:
        body = {"experiment_ids": [experiment_id], "max_results": 1000}
        if token:
            body["page_token"] = token
        page = call(url, "POST", "runs/search", body)
        pages += 1
        seen.update(run["info"]["run_id"] for run in page.get("runs", []))
        token = page.get("next_page_token")
        if not token:
            return len(seen), pages


def populate_history(url: str, points: int) -> str:
    """A run with one metric of `points` points, logged 1,000 a log-batch call."""
    run_id = create_run(url, create_experiment(url, "history"))["run_id"]

    def batch(first):
        call(url, "POST", "runs/log-batch", {"run_id": run_id, "metrics": [
            {"key": "long", "value": (i % 977) / 977.0, "timestamp": EPOCH_MS + i, "step": i}
            for i in range(first, min(first + 1000, points))]})

    in_parallel(batch, list(range(0, points, 1000)), workers=4)
    return run_id
