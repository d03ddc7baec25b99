"""The workload groups of bench/compare.py: each group's untimed setup and timed steps, run
against one server at a time (compare.py alternates the servers)."""
import contextlib
import logging
import os
import statistics
import sys
import time

from bench import artifact_transfer as transfer
from bench import workloads as w
from bench.servers import Server


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def warn(message: str) -> None:
    print("WARNING: " + message, file=sys.stderr, flush=True)


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
            transfer.make_artifact_file(self.artifact_file, self.args.artifact_mb)

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
            st["artifact_path"] = transfer.artifact_path(run) + "/big.bin"
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
        return self._transfer(server, lambda url, path, source: transfer.put_artifact(url, path, source))

    def artifact_get(self, server: Server) -> dict:
        try:
            return self._transfer(server, transfer.get_artifact)
        finally:
            transfer.delete_artifact(server.url, self._artifact_target(server))
