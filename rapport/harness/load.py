"""`make load`: how fast Rapport answers real people on a quiet machine, and that a burst of
submissions is served or politely refused, never failed.

    python -m rapport.harness.load [--users 50] [--duration 60] [--submitters 200]

Starts the stack (rapport.harness.stack), then two phases with a bounded asyncio client:
1. `--users` people at once with think time between pages — signed-in clinicians and
   supervisors walking the pages their own pages link to, and clients opening measure links,
   answering and sending them. Prints p50/p95/p99 and errors per page kind.
   Targets: p95 ≤ 300 ms, p99 ≤ 800 ms, no errors.
2. `--submitters` clients send their forms at the same moment: only 2xx, 3xx (the redirect to
   "done") or 429 may come back.
Exits 1 when a target is missed, so the make target fails.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass, field

from rapport.harness.http import Browser, ProtocolError, Reply, page_kind, same_site_links
from rapport.harness.stack import DEMO_PASSWORD, running_stack

P95_TARGET, P99_TARGET = 0.300, 0.800
STAFF_SKIP = ("/accounts/", "/static/", "refresh", "logout", ".csv", "/fhir")
PHQ9_ANSWERS = {f"item:phq9-{n}": "1" for n in range(1, 9)} | {"item:phq9-9": "0"}
# Clients answer from home: their addresses differ (the proxy reports them).
_addresses = (f"10.{a}.{b}.{c}" for a, b, c in itertools.product(range(1, 250), repeat=3))


@dataclass
class Figures:
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def record(
        self, kind: str, reply: Reply | None, problem: str = "", ok: tuple[int, ...] = (200, 302)
    ) -> None:
        if reply is not None:
            self.seconds[kind].append(reply.seconds)
            self.statuses[reply.status] += 1
            if reply.status not in ok:
                self.errors[kind].append(f"HTTP {reply.status}")
        else:
            self.errors[kind].append(problem)

    def all_seconds(self) -> list[float]:
        return [s for values in self.seconds.values() for s in values]

    def table(self) -> str:
        rows = [
            f"{'page kind':44} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}"
        ]
        kinds = sorted(set(self.seconds) | set(self.errors))
        for kind in [*kinds, "ALL"]:
            values = self.all_seconds() if kind == "ALL" else self.seconds.get(kind, [])
            errors = (
                sum(map(len, self.errors.values())) if kind == "ALL" else len(self.errors[kind])
            )
            p50, p95, p99 = percentiles(values)
            rows.append(
                f"{kind[:44]:44} {len(values):>6} {p50 * 1000:>8.0f} {p95 * 1000:>8.0f} "
                f"{p99 * 1000:>8.0f} {errors:>8}"
            )
        return "\n".join(rows)


def percentiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        one = values[0] if values else 0.0
        return one, one, one
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


async def timed(
    figures: Figures, kind: str, call: Awaitable[Reply], ok: tuple[int, ...] = (200, 302)
) -> Reply | None:
    try:
        reply = await call
    except (OSError, TimeoutError, ProtocolError) as error:
        figures.record(kind, None, f"{type(error).__name__}: {error}")
        return None
    figures.record(kind, reply, ok=ok)
    return reply


async def sign_in(browser: Browser, email: str, figures: Figures) -> bool:
    page = await timed(figures, "sign-in page", browser.get("/accounts/login/"))
    token = page.csrf_token() if page is not None else None
    if not token:
        return False
    form = {"username": email, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token}
    done = await timed(figures, "sign-in", browser.post("/accounts/login/", form))
    return done is not None and done.status == 302 and "/accounts/login" not in done.location


async def staff_member(
    email: str, start: list[str], port: int, until: float, think: float, figures: Figures
) -> None:
    """Signs in, then walks: each next page is one linked from the pages seen so far."""
    browser = Browser("127.0.0.1", port, next(_addresses))
    if not await sign_in(browser, email, figures):
        figures.errors["sign-in"].append(f"{email} could not sign in")
        return
    seen: list[str] = list(start)
    while time.monotonic() < until:
        path = random.choice(seen[-40:]) if random.random() < 0.7 else random.choice(start)
        reply = await timed(figures, page_kind(path), browser.get(path))
        if reply is not None and reply.status == 200:
            fresh = [
                link
                for link in same_site_links(reply)
                if not any(part in link for part in STAFF_SKIP) and link not in seen
            ]
            seen += random.sample(fresh, min(3, len(fresh)))
        await asyncio.sleep(random.uniform(0.5, 2 * think))


async def link_client(
    links: list[dict[str, object]], port: int, until: float, think: float, figures: Figures
) -> None:
    """Opens a measure link, takes a while to answer, sends it; then the next person's link."""
    while time.monotonic() < until and links:
        token = links.pop()["token"]
        browser = Browser("127.0.0.1", port, next(_addresses))
        page = await timed(figures, "measure link: form", browser.get(f"/m/{token}/"))
        await asyncio.sleep(random.uniform(0.5, 2 * think))
        if page is None or not page.csrf_token():
            continue
        form = {**PHQ9_ANSWERS, "csrfmiddlewaretoken": page.csrf_token() or ""}
        sent = await timed(figures, "measure link: send", browser.post(f"/m/{token}/", form))
        if sent is not None and sent.status == 302:
            await timed(figures, "measure link: done", browser.get(sent.location))
        await asyncio.sleep(random.uniform(0.5, 2 * think))


async def people_phase(  # type: ignore[no-untyped-def]
    port: int, links: list[dict[str, object]], args, *, warm_up: bool = False
) -> Figures:
    figures = Figures()
    until = time.monotonic() + (args.warmup if warm_up else args.duration)
    clinicians = [f"clinician{n}@demo.rapport.test" for n in ("", "2", "3")]
    n_clients = args.users // 2
    n_supervisors = max(1, args.users // 10)
    n_clinicians = args.users - n_clients - n_supervisors
    tasks = [
        staff_member(
            clinicians[i % 3],
            ["/", "/caseload/", "/alerts/", "/dashboard/"],
            port,
            until,
            args.think,
            figures,
        )
        for i in range(n_clinicians)
    ]
    tasks += [
        staff_member(
            "supervisor@demo.rapport.test",
            ["/", "/team/", "/alerts/", "/dashboard/practice/"],
            port,
            until,
            args.think,
            figures,
        )
        for _ in range(n_supervisors)
    ]
    tasks += [link_client(links, port, until, args.think, figures) for _ in range(n_clients)]
    print(
        "warm-up (not measured): " if warm_up else "phase 1: ",
        f"{n_clinicians} clinicians, {n_supervisors} supervisors, {n_clients} clients "
        f"on links, think time 0.5–{2 * args.think:g} s, "
        f"{args.warmup if warm_up else args.duration:g} s",
        sep="",
        flush=True,
    )
    await asyncio.gather(*tasks)
    return figures


async def burst_phase(port: int, links: list[dict[str, object]], n: int) -> Figures:
    """n people each with a form open press Send at the same moment."""
    figures = Figures()
    browsers = [Browser("127.0.0.1", port, next(_addresses), timeout=120) for _ in range(n)]
    tokens = [str(link["token"]) for link in links[:n]]
    pages = []
    for batch in range(0, n, 20):  # open the forms beforehand, a few at a time
        pages += await asyncio.gather(
            *(
                timed(figures, "measure link: form", b.get(f"/m/{t}/"))
                for b, t in zip(
                    browsers[batch : batch + 20], tokens[batch : batch + 20], strict=True
                )
            )
        )
    burst = Figures()

    async def send(browser: Browser, token: str, page: Reply | None) -> None:
        form = {**PHQ9_ANSWERS, "csrfmiddlewaretoken": (page and page.csrf_token()) or ""}
        await timed(burst, "burst: send", browser.post(f"/m/{token}/", form), ok=(200, 302, 429))

    print(f"phase 2: {n} clients press Send at once", flush=True)
    await asyncio.gather(*(send(b, t, p) for b, t, p in zip(browsers, tokens, pages, strict=True)))
    return burst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of phase 1")
    parser.add_argument("--think", type=float, default=1.5, help="mean think time, seconds")
    parser.add_argument("--submitters", type=int, default=200)
    parser.add_argument(
        "--warmup", type=float, default=15.0, help="seconds of unmeasured traffic first"
    )
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args(argv)
    if not (1 <= args.users <= 2000 and 1 <= args.submitters <= 5000 and args.duration > 0):
        parser.error("--users 1–2000, --submitters 1–5000, --duration above 0")

    with running_stack(workers=args.workers) as stack:
        links = stack.links(int(args.users * (args.duration + args.warmup)) + args.submitters)
        burst_links, links = links[: args.submitters], links[args.submitters :]
        # Each worker imports, compiles templates and opens its connection on first use.
        asyncio.run(people_phase(stack.port, links, args, warm_up=True))
        people = asyncio.run(people_phase(stack.port, links, args))
        burst = asyncio.run(burst_phase(stack.port, burst_links, args.submitters))
        # The worker would have signed one by now in production: verify against it.
        stack.manage("audit", "checkpoint")
        verify = stack.manage("audit", "verify", check=False)

    print("\nPhase 1 — people with think time")
    print(people.table())
    print("\nPhase 2 — simultaneous submitters")
    print(burst.table())
    print("statuses:", dict(sorted(burst.statuses.items())))
    print("audit:", verify)
    _, p95, p99 = percentiles(people.all_seconds())
    errors = sum(map(len, people.errors.values()))
    refused = sum(map(len, burst.errors.values()))
    misses = []
    if p95 > P95_TARGET:
        misses.append(f"p95 {p95 * 1000:.0f} ms > {P95_TARGET * 1000:.0f} ms")
    if p99 > P99_TARGET:
        misses.append(f"p99 {p99 * 1000:.0f} ms > {P99_TARGET * 1000:.0f} ms")
    if errors:
        samples = [f"{k}: {v[0]}" for k, v in people.errors.items() if v][:5]
        misses.append(f"{errors} errors in phase 1 ({'; '.join(samples)})")
    if refused:
        samples = [f"{k}: {v[0]}" for k, v in burst.errors.items() if v][:5]
        misses.append(f"{refused} burst replies other than 2xx/3xx/429 ({'; '.join(samples)})")
    if "intact" not in verify:
        misses.append("audit verify failed")
    print("\nRESULT:", "all targets met" if not misses else "MISSED: " + "; ".join(misses))
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
