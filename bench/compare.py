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
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The pieces: groups.py (each group's setup and timed steps), workloads.py (REST calls, concurrent
# clients, data setups), artifact_transfer.py, servers.py (start, memory, stop), report.py (table).
from bench import workloads as w  # noqa: E402
from bench.groups import Bench, log, warn  # noqa: E402
from bench.report import print_table, ratios  # noqa: E402
from bench.servers import Server, start_mlexp, start_mlflow  # noqa: E402

GROUPS = ["startup", "log_metric", "log_batch", "create_finish", "fluent", "search", "history", "artifacts"]


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
