"""Benchmark: drive any MLflow-compatible server over its REST API with identical work (issue 8).

Workloads, each bounded by --seconds and, where it applies, run with 1 and 8 concurrent clients:
  log_metric       single runs/log-metric calls, each client logging to its own run
  log_batch        runs/log-batch of 100 metrics + 10 params a call (rows/s counts metric rows)
  create_finish    runs/create then runs/update status FINISHED (ops/s = runs/s)
  fluent           the real client: mlflow.log_metric in a loop over its keep-alive session
  search           an experiment of --runs runs (10 params, 10 metrics each, created through the
                   REST API with log-batch, untimed): `metrics.m0 > 0.5 and params.p1 = 'a'` ordered
                   by metrics.m0 DESC, first 100 (latency; results checked against the expected
                   runs), and paging through all runs 1,000 a page (total seconds, one pass)
  history          metrics/get-history of a --points-point metric (logged 1,000 a log-batch call,
                   untimed), paged as the MLflow client pages it (seconds per full fetch)
  artifacts        one --artifact-mb file PUT and GET via /api/2.0/mlflow-artifacts/artifacts/<run's
                   artifact root>/big.bin, streamed (MB/s), with the server's memory around it
  startup          server start to the first answer of /health, and its memory idle after start;
                   startup_first_api: start to the answer of an experiment search sent as soon as
                   /health answered (what a client's first call waits for)
Every REST call opens a new TCP connection, as in the issue's targets; `fluent` is the keep-alive
figure. Memory (RSS, VmHWM peak, PSS) is summed over the server's process tree and only known
when this script started the server.

Concurrent clients are threads by default, after measuring on this shared 2-core machine: a
client spends ~0.8 ms of CPU per fresh-connection call (connect, encode, parse), so at the
~300 log-metric calls/s mlexp gave there, 8 client threads used a quarter of a core, far below the
one core the GIL allows; 8 forked processes (--clients-mode process) gave no more (297 vs 294
calls/s in one round, 188 vs 282 in the next): on two cores extra processes only take CPU from the
server. Every multi-client result records `client_cpu_cores`, and the script warns when threads
near one core (then try --clients-mode process). The fluent result records the mlflow library's
own CPU per call (`client_cpu_ms_per_call`), which is part of its latency.

Before anything is timed, every server gets a short untimed warm-up from 8 concurrent
connections, so each of MLflow's worker processes has opened its store (its first request takes
seconds); the untimed data setups are logged on stderr with their duration. MLflow is started
with its defaults except uvicorn's worker health-check timeout (5 s -> 120 s): on a loaded machine
the supervisor otherwise kills and restarts workers that are slow to answer its ping.

Usage:
  python bench/compare.py                     # start mlexp on a free port and benchmark it
  python bench/compare.py --url http://host:5000          # a running server (no memory/startup)
  python bench/compare.py --compare-mlflow    # also start `mlflow server`; alternate; print ratios
  python bench/compare.py --quick --only log_metric,search   # small sizes, some workloads
Prints a table and, last, one JSON line: {"results": {server: {workload key: figures}}, "ratios": ...}.
"""
import argparse
import contextlib
import json
import logging
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import workloads as w  # noqa: E402
from bench.servers import Server, start_mlexp, start_mlflow  # noqa: E402

GROUPS = ["startup", "log_metric", "log_batch", "create_finish", "fluent", "search", "history", "artifacts"]



@contextlib.contextmanager
def _answer_times(into: list):
    """Record each response's round trip as requests measures it (request sent → response
    read), for every call the mlflow client makes over its own keep-alive session."""
    import requests

    original = requests.Session.send

    def send(session, request, **kwargs):
        response = original(session, request, **kwargs)
        into.append(response.elapsed.total_seconds())
        return response

    requests.Session.send = send
    try:
        yield
    finally:
        requests.Session.send = original

class Bench:
    """The workloads, each a method returning {workload key: figures} for one server."""

    def __init__(self, args, workdir: str):
        self.args, self.workdir = args, workdir
        self.state: dict[str, dict] = {}
        self.specs = None
        self.artifact_file = None

    def _state(self, server: Server) -> dict:
        return self.state.setdefault(server.name, {})

    # -- setups (untimed), done for every server before a group's timed work ----------------------
    def setup(self, group: str, server: Server) -> None:
        st = self._state(server)
        if group == "search":
            self.specs = self.specs or w.search_specs(self.args.runs)
            started = time.perf_counter()
            st["search_experiment"] = w.populate_search(
                server.url, self.specs, progress=lambda done, total: log(
                    f"  {server.name}: {done}/{total} runs ({time.perf_counter() - started:.0f} s)"))
            st["search_setup_s"] = round(time.perf_counter() - started, 1)
            log(f"  {server.name}: {self.args.runs} runs created in {st['search_setup_s']} s")
        elif group == "history":
            started = time.perf_counter()
            st["history_run"] = w.populate_history(server.url, self.args.points)
            log(f"  {server.name}: {self.args.points} points logged in {time.perf_counter() - started:.1f} s")
        elif group == "artifacts" and self.artifact_file is None:
            self.artifact_file = os.path.join(self.workdir, "big.bin")
            w.make_artifact_file(self.artifact_file, self.args.artifact_mb)

    # -- timed work --------------------------------------------------------------------------------
    def steps(self, group: str) -> list:
        """(key, function(server) -> figures) in the order they run; each is alternated alone."""
        clients = self.args.clients
        if group == "startup":
            return [("startup", self.startup), ("startup_first_api", self.first_api)]
        if group in ("log_metric", "log_batch", "create_finish"):
            return [(f"{group}_c{n}", lambda server, n=n, g=group: self.writes(server, g, n)) for n in clients]
        if group == "fluent":
            return [("fluent_log_metric_keepalive", self.fluent)]
        if group == "search":
            return ([(f"search_filtered_c{n}", lambda server, n=n: self.search_filtered(server, n)) for n in clients]
                    + [("search_page_all", self.search_page_all)])
        if group == "history":
            return [("metric_history", self.history)]
        if group == "artifacts":
            return [("artifact_put", self.artifact_put), ("artifact_get", self.artifact_get)]
        raise ValueError(group)

    def startup(self, server: Server) -> dict | None:
        if server.startup_seconds is None:
            return None
        memory = server.idle_memory
        return {"seconds": round(server.startup_seconds, 3), "mem_mb": memory["rss_mb"],
                "idle_pss_mb": memory["pss_mb"], "processes": memory["processes"]}

    def first_api(self, server: Server) -> dict | None:
        if server.first_api_seconds is None:
            return None
        return {"seconds": round(server.first_api_seconds, 3)}

    def writes(self, server: Server, group: str, clients: int) -> dict:
        experiment_id = w.create_experiment(server.url, f"{group}-c{clients}")
        if group == "create_finish":
            op, args = w.op_create_finish, [experiment_id] * clients
        else:
            op = w.op_log_metric if group == "log_metric" else w.op_log_batch
            args = [w.create_run(server.url, experiment_id)["run_id"] for _ in range(clients)]
        result = w.run_clients(op, server.url, args, self.args.seconds, self.args.clients_mode)
        result["rows_s"] = float(f"{result['ops_s'] * (100 if group == 'log_batch' else 1):.4g}")
        return self._check_client(server, f"{group}_c{clients}", result)

    def _check_client(self, server: Server, key: str, result: dict) -> dict:
        if result["errors"]:
            warn(f"{server.name} {key}: {result['errors']} failed requests, first: {result.get('first_error')}")
        if self.args.clients_mode == "thread" and result["clients"] > 1 and result["client_cpu_cores"] > 0.85:
            warn(f"{server.name} {key}: client threads used {result['client_cpu_cores']} cores, "
                 "the GIL may limit them: try --clients-mode process")
        return result

    def fluent(self, server: Server) -> dict:
        import mlflow

        logging.getLogger("mlflow").setLevel(logging.WARNING)
        with contextlib.redirect_stdout(sys.stderr):  # end_run prints "View run … at" links
            return self._fluent(server, mlflow)

    def _fluent(self, server: Server, mlflow) -> dict:
        mlflow.set_tracking_uri(server.url)
        experiment_id = w.create_experiment(server.url, "fluent")
        latencies, answers = [], []
        with mlflow.start_run(experiment_id=experiment_id), _answer_times(answers):
            mlflow.log_metric("warmup", 0.0)  # opens the session's keep-alive connection
            answers.clear()
            cpu_before = time.process_time()
            started = time.perf_counter()
            deadline, n = started + self.args.seconds, 0
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                mlflow.log_metric("loss", 1.0 / (n + 1), step=n)
                latencies.append(time.perf_counter() - t0)
                n += 1
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_before
        # The client's own CPU per call (the mlflow library's work) is part of every latency;
        # answer_p50_ms is the HTTP exchange alone (requests' Response.elapsed on its session).
        return {"clients": 1, **w.summarize(latencies, elapsed),
                "answer_p50_ms": round(statistics.median(answers) * 1000, 2) if answers else None,
                "client_cpu_ms_per_call": round(cpu * 1000 / max(1, len(latencies)), 2)}

    def search_filtered(self, server: Server, clients: int) -> dict:
        experiment_id = self._state(server)["search_experiment"]
        names = [w.run_name(run) for run in w.op_search_filtered(server.url, experiment_id, 0)]
        result = w.run_clients(w.op_search_filtered, server.url, [experiment_id] * clients,
                               self.args.seconds, self.args.clients_mode)
        result["results_ok"] = names == w.expected_filtered(self.specs)
        if not result["results_ok"]:
            warn(f"{server.name}: filtered search returned {len(names)} runs, not the expected ones")
        return self._check_client(server, f"search_filtered_c{clients}", result)

    def search_page_all(self, server: Server) -> dict:
        started = time.perf_counter()
        seen, pages = w.page_all(server.url, self._state(server)["search_experiment"])
        seconds = time.perf_counter() - started
        if seen != self.args.runs:
            warn(f"{server.name}: paging saw {seen} runs, expected {self.args.runs}")
        return {"clients": 1, "seconds": round(seconds, 3), "rows_s": round(seen / seconds, 1),
                "pages": pages, "results_ok": seen == self.args.runs,
                "setup_s": self._state(server)["search_setup_s"]}

    def history(self, server: Server) -> dict:
        run_id = self._state(server)["history_run"]
        timings, counts = [], set()
        deadline = time.perf_counter() + self.args.seconds
        while not timings or time.perf_counter() < deadline:
            started = time.perf_counter()
            counts.add(w.get_history(server.url, run_id, "long"))
            timings.append(time.perf_counter() - started)
        if counts != {self.args.points}:
            warn(f"{server.name}: history returned {sorted(counts)} points, expected {self.args.points}")
        result = {"clients": 1, **w.summarize(timings, sum(timings))}
        median = statistics.median(timings)
        result.update(seconds=round(median, 3), rows_s=round(self.args.points / median, 1),
                      results_ok=counts == {self.args.points})
        return result

    def _artifact_target(self, server: Server) -> str:
        st = self._state(server)
        if "artifact_path" not in st:
            run = w.create_run(server.url, w.create_experiment(server.url, "artifacts"))
            st["artifact_path"] = w.artifact_path(run) + "/big.bin"
        return st["artifact_path"]

    def _transfer(self, server: Server, move) -> dict:
        size = os.path.getsize(self.artifact_file)
        before = server.memory_mb()
        server.reset_peak()
        seconds = move(server.url, self._artifact_target(server), self.artifact_file)
        after = server.memory_mb()
        result = {"clients": 1, "seconds": round(seconds, 3), "mb": round(size / 1e6, 1),
                  "mb_s": round(size / 1e6 / seconds, 1)}
        if before and after:
            result.update(rss_before_mb=before["rss_mb"], mem_mb=after["peak_rss_mb"], rss_after_mb=after["rss_mb"],
                          peak_growth_mb=round(after["peak_rss_mb"] - before["rss_mb"], 1))
        return result

    def artifact_put(self, server: Server) -> dict:
        return self._transfer(server, lambda url, path, source: w.put_artifact(url, path, source))

    def artifact_get(self, server: Server) -> dict:
        try:
            return self._transfer(server, w.get_artifact)
        finally:
            w.delete_artifact(server.url, self._artifact_target(server))


# --- output ---------------------------------------------------------------------------------------

COLUMNS = [("clients", "clients"), ("ops_s", "ops/s"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"),
           ("rows_s", "rows/s"), ("mb_s", "MB/s"), ("seconds", "total s"), ("mem_mb", "mem MB"),
           ("errors", "errors")]
HIGHER_IS_BETTER = {"ops_s", "rows_s", "mb_s"}
LOWER_IS_BETTER = {"p50_ms", "p99_ms", "seconds", "mem_mb"}


def ratios(mine: dict, theirs: dict) -> dict:
    """mine/theirs for throughputs, theirs/mine for latencies, seconds and memory: >1 favours mine."""
    out = {}
    for key in HIGHER_IS_BETTER | LOWER_IS_BETTER:
        a, b = mine.get(key), theirs.get(key)
        if a and b:
            out[key] = round(a / b if key in HIGHER_IS_BETTER else b / a, 2)
    return out


def number(value) -> str:
    """Three significant figures or more, no exponent: 0.0444, 4.44, 44.4, 444, 4444."""
    if isinstance(value, int):
        return str(value)
    magnitude = abs(value)
    return f"{value:.0f}" if magnitude >= 100 else f"{value:.1f}" if magnitude >= 10 else \
        f"{value:.2f}" if magnitude >= 1 else f"{value:.3g}"


def print_table(names: list[str], results: dict, ratio_table: dict) -> None:
    keys = [k for k in dict.fromkeys(k for name in names for k in results[name])]
    header = f"{'workload':<28}{'server':<9}" + "".join(f"{title:>10}" for _, title in COLUMNS)
    print(header)
    print("-" * len(header))
    for key in keys:
        label = key
        for name in names:
            figures = results[name].get(key)
            if figures is None:
                continue
            cells = "".join(f"{number(figures[c]) if figures.get(c) is not None else '-':>10}" for c, _ in COLUMNS)
            print(f"{label:<28}{name:<9}{cells}")
            label = ""
        if key in ratio_table:
            cells = "".join(f"{(number(ratio_table[key][c]) + 'x') if c in ratio_table[key] else '':>10}"
                            for c, _ in COLUMNS)
            print(f"{'':<28}{'ratio':<9}{cells}")
    if ratio_table:
        print(f"ratio = {names[0]}/{names[1]}, inverted for p50, p99, total s and memory: above 1 favours {names[0]}")
    print("mem MB: startup = RSS idle after start; artifacts = peak RSS during the transfer "
          "(summed over the server's processes)")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def warn(message: str) -> None:
    print("WARNING: " + message, file=sys.stderr, flush=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--url", help="benchmark this running server instead of starting mlexp")
    parser.add_argument("--name", default="mlexp", help="the server's label in the table (default mlexp)")
    parser.add_argument("--compare-mlflow", action="store_true", help="also start `mlflow server` and compare")
    parser.add_argument("--mlflow-url", help="compare against this running MLflow server instead of starting one")
    parser.add_argument("--only", help="comma-separated groups: " + ",".join(GROUPS))
    parser.add_argument("--quick", action="store_true", help="smoke run: small sizes, short workloads")
    parser.add_argument("--seconds", type=float, help="time per workload (default 5; --quick 0.3)")
    parser.add_argument("--runs", type=int, help="runs in the search experiment (default 10000)")
    parser.add_argument("--points", type=int, help="points of the history metric (default 100000)")
    parser.add_argument("--artifact-mb", type=int, help="artifact size in MiB (default 1024)")
    parser.add_argument("--clients", default="1,8", help="concurrent client counts (default 1,8)")
    parser.add_argument("--clients-mode", choices=["thread", "process"], default="thread")
    args = parser.parse_args(argv)
    defaults = {"seconds": (5.0, 0.3), "runs": (10_000, 100), "points": (100_000, 2_000), "artifact_mb": (1024, 16)}
    for name, (full, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    args.clients = [int(n) for n in args.clients.split(",")]
    args.groups = args.only.split(",") if args.only else GROUPS
    unknown = set(args.groups) - set(GROUPS)
    if unknown:
        parser.error(f"unknown workload group(s) {sorted(unknown)}; choose from {GROUPS}")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="mlexp-compare-") as workdir:
        try:
            log("starting servers…")
            servers.append(Server(args.name, args.url.rstrip("/")) if args.url else start_mlexp(workdir))
            if args.mlflow_url:
                servers.append(Server("mlflow", args.mlflow_url.rstrip("/")))
            elif args.compare_mlflow:
                servers.append(start_mlflow(workdir))
            if "startup" in args.groups:  # idle memory: a little after the first answer, before any work
                time.sleep(1 if args.quick else 3)
                for server in servers:
                    server.idle_memory = server.memory_mb()
            for server in servers:
                log(f"warming up {server.name}…")
                w.warm_up(server.url, rounds=1 if args.quick else 4)
            bench = Bench(args, workdir)
            results: dict[str, dict] = {server.name: {} for server in servers}
            turn = 0
            for group in args.groups:
                log(f"{group}…")
                for server in servers:
                    bench.setup(group, server)
                for key, step in bench.steps(group):
                    order = servers if turn % 2 == 0 else servers[::-1]  # alternate who goes first
                    turn += 1
                    for server in order:
                        try:
                            figures = step(server)
                        except w.RequestFailed as exc:  # one workload failing leaves the others to run
                            warn(f"{key} {server.name} failed: {exc}")
                            figures = {"failed": str(exc)[:300]}
                        if figures is not None:
                            results[server.name][key] = figures
                            log(f"  {key} {server.name}: {json.dumps(figures)}")
            notes = {}
            for server in servers:
                restarts = server.log_lines("] died")  # uvicorn: "Child process [pid] died"
                if restarts:
                    warn(f"{server.name}: {restarts} worker processes died and were restarted during the run")
                    notes[server.name] = {"worker_restarts": restarts}
            names = [server.name for server in servers]
            ratio_table = {}
            if len(servers) == 2:
                ratio_table = {key: ratios(results[names[0]][key], results[names[1]][key])
                               for key in results[names[0]] if key in results[names[1]]}
            print_table(names, results, ratio_table)
            print(json.dumps({"bench": "compare", "servers": names,
                              "config": {k: getattr(args, k) for k in
                                         ("seconds", "runs", "points", "artifact_mb", "clients", "clients_mode",
                                          "quick")},
                              "results": results, "ratios": ratio_table, "notes": notes}))
        finally:
            for server in servers:
                server.stop()


if __name__ == "__main__":
    main()
