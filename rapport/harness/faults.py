"""`make faults`: measure submissions survive killed app workers and a crashed database.

    python -m rapport.harness.faults [--submissions 20000] [--concurrency 16]
                                     [--worker-kills 10] [--database-crashes 2]

A client sends measure forms through single-use links — the link's token is the submission's
idempotency key: a repeat of a stored submission is answered "done" and stores nothing. The
client keeps its own ledger (a JSON-lines file: every acknowledgement as it arrives) and retries
anything not acknowledged (a dropped connection, a 5xx, a 429) until it is. Meanwhile gunicorn
workers are SIGKILLed (at least `--worker-kills` times) and PostgreSQL is stopped with
`pg_ctl stop -m immediate` and restarted (at least `--database-crashes` times), spread over the
run. Then the ledger is compared with the database:

- acknowledged-lost: acknowledged by the server, no response stored — must be 0;
- duplicates: more than one response or more than one audit event for one submission — 0;
- orphans: a response, used link or completed assignment the ledger has no acknowledgement
  for, or a response without its audit event — 0;
- audit events of submissions = acknowledged submissions; `rapport audit verify` intact.
Exits 1 when any of these is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg

from rapport.harness.http import Browser, ProtocolError
from rapport.harness.load import PHQ9_ANSWERS
from rapport.harness.stack import Stack, running_stack

RETRY_STATUSES = {429, 500, 502, 503, 504}


class Ledger:
    """The client's own record: what it was told was stored, written before it moves on."""

    def __init__(self, path: Path, links: list[dict[str, object]]) -> None:
        self.path = path
        self.assignment = {str(link["token"]): int(str(link["assignment"])) for link in links}
        self.acknowledged: set[str] = set()
        self.attempts: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.refused: dict[str, int] = {}
        self._file = path.open("a", encoding="utf-8")

    def attempt(self, token: str) -> None:
        self.attempts[token] += 1

    def acknowledge(self, token: str) -> None:
        self.acknowledged.add(token)
        self._file.write(json.dumps({"token": token, "assignment": self.assignment[token]}) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


async def submitter(
    queue: asyncio.Queue[str], port: int, ledger: Ledger, address: str, csrf_path: str
) -> None:
    browser = Browser("127.0.0.1", port, address, timeout=60)
    csrf = ""
    while True:
        try:
            token = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        delay = 0.1
        while token not in ledger.acknowledged and token not in ledger.refused:
            try:
                if not csrf:
                    page = await browser.get(csrf_path)
                    csrf = page.csrf_token() or ""
                    if not csrf:
                        raise ProtocolError(f"no form on {csrf_path} ({page.status})")
                ledger.attempt(token)
                form = {**PHQ9_ANSWERS, "csrfmiddlewaretoken": csrf}
                reply = await browser.post(f"/m/{token}/", form)
            except (OSError, TimeoutError, ProtocolError) as error:
                ledger.outcomes[type(error).__name__] += 1
            else:
                ledger.outcomes[f"HTTP {reply.status}"] += 1
                if reply.status == 302 and reply.location == "/m/done/":
                    ledger.acknowledge(token)
                    break
                if reply.status == 403:
                    csrf = ""  # a fresh CSRF cookie and token, then again
                elif reply.status not in RETRY_STATUSES:
                    ledger.refused[token] = reply.status
                    break
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(2.0, delay * 2)


async def chaos(stack: Stack, ledger: Ledger, total: int, kills: int, crashes: int) -> list[str]:
    """Worker kills and database crashes spread over the run, paced by its progress."""
    events: list[tuple[float, str]] = [
        (0.05 + 0.85 * i / max(1, kills - 1), "kill") for i in range(kills)
    ]
    events += [((i + 1) / (crashes + 1), "crash") for i in range(crashes)]
    events.sort()
    log: list[str] = []
    for at, what in events:
        while len(ledger.acknowledged) < at * total:
            if len(ledger.acknowledged) + len(ledger.refused) >= total:
                return log
            await asyncio.sleep(0.05)
        if what == "kill":
            pids = stack.worker_pids()
            if pids:
                victim = random.choice(pids)
                os.kill(victim, signal.SIGKILL)
                log.append(f"SIGKILL worker {victim} at {len(ledger.acknowledged)} acknowledged")
        else:
            await asyncio.to_thread(stack.cluster.crash)
            log.append(f"PostgreSQL crashed (immediate) at {len(ledger.acknowledged)} acknowledged")
            await asyncio.sleep(random.uniform(1.0, 3.0))
            await asyncio.to_thread(stack.cluster.start)
            log.append("PostgreSQL restarted")
    return log


async def run(stack: Stack, ledger: Ledger, args: argparse.Namespace) -> list[str]:
    tokens = list(ledger.assignment)
    queue: asyncio.Queue[str] = asyncio.Queue()
    for token in tokens:
        queue.put_nowait(token)
    # Any link's form gives the CSRF cookie and token; one kept aside, never submitted.
    csrf_path = f"/m/{args.spare_token}/"
    workers = [
        submitter(queue, stack.port, ledger, f"10.9.{i // 250}.{i % 250 + 1}", csrf_path)
        for i in range(args.concurrency)
    ]
    chaos_task = asyncio.create_task(
        chaos(stack, ledger, len(tokens), args.worker_kills, args.database_crashes)
    )
    await asyncio.gather(*workers)
    return await chaos_task


def compare(stack: Stack, ledger: Ledger, spare_assignment: int) -> dict[str, int]:
    acknowledged = {ledger.assignment[t] for t in ledger.acknowledged}
    ours = set(ledger.assignment.values())
    with psycopg.connect(stack.cluster.url) as db:
        responses: dict[int, int] = dict(
            db.execute(
                "SELECT assignment_id, count(*) FROM measures_response "
                "WHERE assignment_id = ANY(%s) GROUP BY assignment_id",
                [list(ours | {spare_assignment})],
            ).fetchall()
        )
        response_ids: dict[int, int] = dict(
            db.execute(
                "SELECT id, assignment_id FROM measures_response WHERE assignment_id = ANY(%s)",
                [list(ours | {spare_assignment})],
            ).fetchall()
        )
        events = Counter(
            int(object_id)
            for (object_id,) in db.execute(
                "SELECT object_id FROM audit_auditevent "
                "WHERE object_type = 'measures.response' AND action = 'submit'"
            ).fetchall()
        )
        completed = {
            a
            for (a,) in db.execute(
                "SELECT id FROM measures_assignment WHERE id = ANY(%s) AND status = 'completed'",
                [list(ours | {spare_assignment})],
            ).fetchall()
        }
        used = {
            a
            for (a,) in db.execute(
                "SELECT assignment_id FROM measures_accesslink "
                "WHERE assignment_id = ANY(%s) AND used_at IS NOT NULL",
                [list(ours | {spare_assignment})],
            ).fetchall()
        }
    stored = set(responses)
    audited = sum(events[r] for r in response_ids)
    return {
        "submissions": len(ours),
        "acknowledged": len(acknowledged),
        "refused": len(ledger.refused),
        "responses stored": sum(responses.values()),
        "acknowledged-lost": len(acknowledged - stored),
        "duplicates": sum(n - 1 for n in responses.values() if n > 1)
        + sum(events[r] - 1 for r in response_ids if events[r] > 1),
        "orphans": len(stored - acknowledged)
        + len(completed - stored)
        + len(used - stored)
        + sum(1 for r in response_ids if events[r] == 0),
        "audit events of submissions": audited,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--worker-kills", type=int, default=10)
    parser.add_argument("--database-crashes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    if not (1 <= args.submissions <= 1_000_000 and 1 <= args.concurrency <= 500):
        parser.error("--submissions 1–1000000, --concurrency 1–500")

    with running_stack(workers=args.workers, keep=True) as stack:
        links = stack.links(args.submissions + 1)
        spare, links = links[0], links[1:]
        args.spare_token = spare["token"]
        ledger = Ledger(stack.workdir / "ledger.jsonl", links)
        started = time.monotonic()
        print(
            f"{args.submissions} submissions, {args.concurrency} at a time, with "
            f"≥{args.worker_kills} worker kills and ≥{args.database_crashes} database crashes",
            flush=True,
        )
        log = asyncio.run(run(stack, ledger, args))
        seconds = time.monotonic() - started
        ledger.close()
        figures = compare(stack, ledger, int(str(spare["assignment"])))
        stack.manage("audit", "checkpoint")
        verify = stack.manage("audit", "verify", check=False)

    for line in log:
        print("  " + line)
    kills = sum(1 for line in log if line.startswith("SIGKILL"))
    crashes = sum(1 for line in log if line.startswith("PostgreSQL crashed"))
    print(f"\n{seconds:.0f} s; client saw: {dict(sorted(ledger.outcomes.items()))}")
    print(f"retried submissions: {sum(1 for n in ledger.attempts.values() if n > 1)}")
    for name, value in figures.items():
        print(f"{name:30} {value}")
    print(f"{'worker kills':30} {kills}\n{'database crashes':30} {crashes}")
    print("audit:", verify)
    print(f"ledger: {ledger.path}")
    misses = [
        name
        for name in ("acknowledged-lost", "duplicates", "orphans", "refused")
        if figures[name] != 0
    ]
    if figures["acknowledged"] != figures["submissions"]:
        misses.append("not every submission acknowledged")
    if figures["audit events of submissions"] != figures["acknowledged"]:
        misses.append("audit events ≠ submissions")
    if kills < args.worker_kills:
        misses.append(f"only {kills} worker kills")
    if crashes < args.database_crashes:
        misses.append(f"only {crashes} database crashes")
    if "intact" not in verify:
        misses.append("audit verify failed")
    print("\nRESULT:", "all targets met" if not misses else "MISSED: " + "; ".join(misses))
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
