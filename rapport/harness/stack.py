"""The system under test: a throwaway PostgreSQL, the demo practice, gunicorn with 4 workers on
loopback and, when asked, the background worker beside it (as in production: it is the audit
trail's sequencer), configured as in production (DEBUG off, keys from the environment) except
that staff two-step sign-in is off so that scripted clinicians can sign in."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess  # starts this project's own programs
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rapport.harness.pg import Cluster, free_port, throwaway_cluster

PROJECT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "rapport-demo-2026"  # the demo practice's published logins (README)


@dataclass
class Stack:
    cluster: Cluster
    env: dict[str, str]
    port: int
    workdir: Path
    gunicorn: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None

    def manage(self, *args: str, debug: bool = False, check: bool = True) -> str:
        env = {**self.env, "RAPPORT_DEBUG": "1"} if debug else self.env
        done = subprocess.run(
            [sys.executable, "-m", "rapport", *args],
            env=env,
            cwd=PROJECT,
            check=False,
            capture_output=True,
            text=True,
        )
        if check and done.returncode != 0:
            raise SystemExit(f"rapport {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return (done.stdout + done.stderr).strip()

    def links(self, count: int) -> list[dict[str, object]]:
        out = self.workdir / f"links-{time.monotonic_ns()}.json"
        subprocess.run(
            [sys.executable, "-m", "rapport.harness.prepare", str(count), str(out)],
            env=self.env,
            cwd=PROJECT,
            check=True,
        )
        links: list[dict[str, object]] = json.loads(out.read_text())
        return links

    def discard_unanswered(self, links: list[dict[str, object]]) -> None:
        used = self.workdir / f"discard-{time.monotonic_ns()}.json"
        used.write_text(json.dumps(links), encoding="utf-8")
        subprocess.run(
            [sys.executable, "-m", "rapport.harness.prepare", "--discard", str(used)],
            env=self.env,
            cwd=PROJECT,
            check=True,
        )

    def start_app(self, workers: int = 4) -> None:
        self.gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "rapport.wsgi",
                f"--workers={workers}",
                f"--bind=127.0.0.1:{self.port}",
                "--timeout=30",
                "--graceful-timeout=5",
                f"--pid={self.workdir / 'gunicorn.pid'}",
                "--log-level=warning",
            ],
            env=self.env,
            cwd=PROJECT,
            stdout=open(self.workdir / "gunicorn.log", "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                request = urllib.request.Request(  # noqa: S310 - loopback only
                    f"http://127.0.0.1:{self.port}/healthz",
                    headers={"X-Forwarded-Proto": "https"},
                )
                with urllib.request.urlopen(request, timeout=2):  # nosec B310: http on loopback
                    return
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer; see {self.workdir / 'gunicorn.log'}")

    def restart_app(self, workers: int) -> None:
        self.stop_app()
        self.start_app(workers)

    def start_worker(self, interval: float) -> None:
        """`rapport worker`, as production runs it beside the app servers."""
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "rapport", "worker", f"--interval={interval:g}"],
            env=self.env,
            cwd=PROJECT,
            stdout=open(self.workdir / "worker.log", "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )

    def worker_alive(self) -> bool:
        return self.worker is not None and self.worker.poll() is None

    def stop_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGTERM)
            try:
                self.worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()

    def worker_pids(self) -> list[int]:
        """The app worker processes (children of the gunicorn master)."""
        assert self.gunicorn is not None
        children = Path(f"/proc/{self.gunicorn.pid}/task/{self.gunicorn.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop_app(self) -> None:
        if self.gunicorn is not None and self.gunicorn.poll() is None:
            self.gunicorn.send_signal(signal.SIGTERM)
            try:
                self.gunicorn.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.gunicorn.kill()
                self.gunicorn.wait()


@contextmanager
def running_stack(
    *, workers: int = 4, keep: bool = False, worker_interval: float | None = None
) -> Iterator[Stack]:
    """The stack, removed afterwards; with `keep` its working directory (logs, checkpoints,
    the fault run's ledger) is left for inspection. With `worker_interval`, the background
    worker runs too, a round every that many seconds."""
    workdir = Path(tempfile.mkdtemp(prefix="rapport-harness-"))
    with throwaway_cluster() as cluster:
        port = free_port()
        origin = f"https://127.0.0.1:{port}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")},
            "DATABASE_URL": cluster.url,
            "RAPPORT_SECRET_KEY": secrets.token_urlsafe(50),
            "RAPPORT_AUDIT_KEY": secrets.token_urlsafe(48),
            "RAPPORT_AUDIT_CHECKPOINT_DIR": str(workdir / "audit-checkpoints"),
            "RAPPORT_ALLOWED_HOSTS": "127.0.0.1",
            "RAPPORT_BASE_URL": origin,
            "RAPPORT_CSRF_TRUSTED_ORIGINS": origin,
            "RAPPORT_BEHIND_PROXY": "1",
            "RAPPORT_PROXY_COUNT": "1",
            "RAPPORT_REQUIRE_STAFF_2FA": "0",
            "RAPPORT_EMAIL_BACKEND": "file",
            "RAPPORT_EMAIL_FILE_PATH": str(workdir / "mail"),
            "RAPPORT_STATIC_ROOT": str(workdir / "static"),
            "RAPPORT_LOG_LEVEL": "WARNING",
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        stack = Stack(cluster, env, port, workdir)
        try:
            print("… migrating, loading the demo practice, collecting static files", flush=True)
            stack.manage("migrate", "--no-input")
            stack.manage("demo", debug=True)
            stack.manage("collectstatic", "--no-input")
            stack.start_app(workers)
            if worker_interval is not None:
                stack.start_worker(worker_interval)
            yield stack
        finally:
            stack.stop_worker()
            stack.stop_app()
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
