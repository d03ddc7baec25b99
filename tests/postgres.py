"""A throwaway PostgreSQL server for `pytest --postgres`: initdb into a temporary folder, listen on
a Unix socket there only, stop and delete it at the end.

Debian's `postgresql` package keeps its programs in /usr/lib/postgresql/<major>/bin, off PATH;
initdb refuses to run as root, so as root the cluster belongs to the `postgres` system user.
"""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile

# Durability is not what the tests check; without fsync a CREATE DATABASE costs ~30 ms.
SERVER_SETTINGS = ("-c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=300")


def postgres_bin_dir() -> str:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's newest installed major."""
    on_path = shutil.which("initdb")
    if on_path:
        return os.path.dirname(os.path.realpath(on_path))
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(path.split("/")[-3]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: `apt-get install postgresql` (see README.md)")
    return os.path.dirname(found[-1])


class TemporaryPostgres:
    """One PostgreSQL cluster in a temporary folder; `url` reaches its `postgres` database."""

    def __init__(self):
        self.bin = postgres_bin_dir()
        self.folder = tempfile.mkdtemp(prefix="mlexp-postgres-")
        self.data = os.path.join(self.folder, "data")
        self._owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self._owner:
            os.chown(self.folder, self._owner.pw_uid, self._owner.pw_gid)
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self._run("pg_ctl", "-D", self.data, "-l", os.path.join(self.folder, "server.log"), "-w",
                  "-o", f"-k {self.folder} {SERVER_SETTINGS}", "start")
        self.url = f"postgresql+psycopg://postgres@/postgres?host={self.folder}"

    def _run(self, program: str, *args: str) -> None:
        command = [os.path.join(self.bin, program), *args]
        if self._owner:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, cwd=self.folder, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
                               + self._log_tail())

    def _log_tail(self) -> str:
        try:
            with open(os.path.join(self.folder, "server.log")) as log:
                return "\n" + log.read()[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
