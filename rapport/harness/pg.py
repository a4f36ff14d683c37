"""A throwaway PostgreSQL cluster on loopback, for the load and fault runs.

Built with the newest /usr/lib/postgresql/*/bin (or PATH); as root the cluster runs as the
`postgres` system user, since initdb refuses root. Removed when the context ends.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess  # PostgreSQL's own server tools with fixed arguments
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rapport.harness.backup import postgres_tool


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    directory: Path
    port: int
    as_user: list[str]

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        return f"postgresql://app@127.0.0.1:{self.port}/rapport"

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def _ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        pg_ctl = postgres_tool("pg_ctl")
        assert pg_ctl, "pg_ctl not found"
        return subprocess.run(
            [*self.as_user, pg_ctl, "-D", str(self.data), *args],
            check=check,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c max_connections=300 -c fsync=on"
        )
        self._ctl("-l", str(self.directory / "log"), "-w", "-t", "60", "-o", options, "start")

    def crash(self) -> None:
        """An immediate stop: no checkpoint, no clean shutdown, as in a power cut of the server."""
        self._ctl("-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop", check=False)


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    initdb = postgres_tool("initdb")
    if not initdb:
        raise SystemExit("PostgreSQL server programs (initdb, pg_ctl) are needed")
    directory = Path(tempfile.mkdtemp(prefix="rapport-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    cluster = Cluster(directory, free_port(), as_user)
    subprocess.run(
        [
            *as_user,
            initdb,
            "-D",
            str(cluster.data),
            "-U",
            "app",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        cluster.start()
        createdb = postgres_tool("createdb")
        assert createdb
        for _ in range(30):
            made = subprocess.run(
                [createdb, "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "app", "rapport"],
                check=False,
            )
            if made.returncode == 0:
                break
            time.sleep(0.5)
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    import signal
    import sys

    # Development aid: a cluster for `DATABASE_URL=... pytest` runs; Ctrl-C or SIGTERM removes
    # it (a background job ignores SIGINT, so TERM must clean up too).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with throwaway_cluster() as running:
        print(f"DATABASE_URL={running.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
