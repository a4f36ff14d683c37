"""Access and caseloads at scale: a clinician's caseload and a client's page in the demo practice
against the same pages in a generated practice of 100,000 clients, where one clinician holds
about 2,600 open episodes.

Goals: the caseload's first page and the client page at most 2x the demo's time (the care
relationship is read through indexes, so the practice's size should not matter), and the first
page of the 2,600-episode caseload within 300 ms (it is paginated, with its figures computed for
the page alone). /healthz, timed in the same run, is the baseline of the ratios.

Set RAPPORT_BENCH_CASELOAD_CLIENTS to scale the practice (for example 10000 for a quick look).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

from rapport.speed.dashboards import (
    _percentiles,
    _setup_django,
    _timed,
    generate_practice,
    run_in_own_process,
)

CLIENTS = 100_000
BIG_CASELOAD = 2_642  # the caseload of the report
TEAM_MEMBER_OF = 300  # further episodes on which the big clinician is a team member
RATIO_GOAL = 2.0
FIRST_PAGE_GOAL_MS = 300.0
REPEATS = 20


def _p50_p95(web: Any, url: str) -> tuple[float, float]:
    samples = []
    for _ in range(REPEATS + 2):
        seconds, response = _timed(partial(web.get, url, secure=True))
        assert response.status_code == 200, (url, response.status_code)
        samples.append(seconds)
    return _percentiles(samples[2:])  # the first two warm caches up


def _big_caseload(practice_id: int, clinician_id: int) -> int:
    """Give one clinician BIG_CASELOAD open episodes and team membership on some more, and fold
    the generated names for search (the bulk generator leaves them empty)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE people_client SET search_name = lower(full_name) WHERE practice_id = %s",
            [practice_id],
        )
        cursor.execute(
            "SELECT id FROM care_episode WHERE practice_id = %s ORDER BY id LIMIT %s",
            [practice_id, BIG_CASELOAD + TEAM_MEMBER_OF],
        )
        ids: list[int] = [row[0] for row in cursor.fetchall()]
        own, member = ids[:BIG_CASELOAD], ids[BIG_CASELOAD:]
        marks = ", ".join(["%s"] * len(own))
        cursor.execute(
            "UPDATE care_episode SET primary_clinician_id = %s, status = 'active', "  # nosec B608
            f"end_date = NULL, closure_reason = '' WHERE id IN ({marks})",
            [clinician_id, *own],
        )
        cursor.executemany(
            "INSERT INTO care_episode_team_members (episode_id, user_id) VALUES (%s, %s)",
            [(episode_id, clinician_id) for episode_id in member],
        )
        cursor.execute("ANALYZE")
    return own[len(own) // 2]


def _demo_clinician() -> tuple[Any, int]:
    """The demo's clinician with the largest open caseload, and one of their clients."""
    from django.db.models import Count, Q

    from rapport.accounts.models import Role, User
    from rapport.care.models import Episode

    clinician = (
        User.objects.filter(role=Role.CLINICIAN, practice__is_demo=True)
        .annotate(n=Count("primary_episodes", filter=~Q(primary_episodes__status="closed")))
        .order_by("-n")
        .first()
    )
    assert clinician is not None
    client_id = (
        Episode.objects.filter(primary_clinician=clinician)
        .exclude(status="closed")
        .values_list("client_id", flat=True)
        .first()
    )
    assert client_id is not None
    return clinician, client_id


def run(out: Callable[[str], None] = print) -> bool:
    return run_in_own_process("rapport.speed.caseload", "caseload", out)


def measure(out: Callable[[str], None] = print) -> bool:
    clients = int(os.environ.get("RAPPORT_BENCH_CASELOAD_CLIENTS", CLIENTS))
    if not os.environ.get("RAPPORT_SQLITE_PATH"):
        raise RuntimeError("run the caseload benchmark through run(): it needs its own database")
    _setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as WebClient

    from rapport.accounts.models import User
    from rapport.demo.practice import build_demo_practice

    call_command("migrate", verbosity=0)
    build_demo_practice(seed=7)
    demo_clinician, demo_client = _demo_clinician()
    pages = {
        "caseload first page": "/caseload/",
        "client page": "/clients/{}/",
    }

    def timings(user: Any, client_id: int) -> dict[str, tuple[float, float]]:
        web = WebClient()
        web.force_login(user)
        figures = {"/healthz": _p50_p95(web, "/healthz")}
        for label, url in pages.items():
            figures[label] = _p50_p95(web, url.format(client_id))
        return figures

    demo = timings(demo_clinician, demo_client)
    generated = generate_practice(clients=clients)
    big_clinician = User.objects.get(pk=generated.therapist_ids[0])
    big_client = _big_caseload(generated.practice_id, big_clinician.pk)
    out(
        f"caseload: generated {generated.clients:,} clients and {generated.sessions:,} sessions "
        f"in {generated.seconds:.1f} s; one clinician given {BIG_CASELOAD:,} open episodes and "
        f"team membership on {TEAM_MEMBER_OF} more (not timed against a goal)"
    )
    big = timings(big_clinician, big_client)
    ok = True
    base_demo, base_big = demo["/healthz"][0], big["/healthz"][0]
    out(
        f"caseload: /healthz p50 {base_demo:.1f} ms before generating, {base_big:.1f} ms after "
        "(baseline)"
    )
    for label in pages:
        (d50, d95), (b50, b95) = demo[label], big[label]
        ratio = b50 / d50
        ratio_ok = ratio <= RATIO_GOAL
        ok = ok and ratio_ok
        line = (
            f"caseload: {label} demo p50 {d50:.1f} ms (p95 {d95:.1f}), "
            f"{clients:,}-client practice with {BIG_CASELOAD:,} episodes p50 {b50:.1f} ms "
            f"(p95 {b95:.1f}); {ratio:.2f}x the demo (goal <= {RATIO_GOAL:.0f}x) "
            f"{'OK' if ratio_ok else 'MISSED'}; {(b50 / base_big) / (d50 / base_demo):.2f}x "
            "once each is divided by its /healthz"
        )
        if label == "caseload first page":
            page_ok = b95 <= FIRST_PAGE_GOAL_MS
            ok = ok and page_ok
            line += f"; p95 goal <= {FIRST_PAGE_GOAL_MS:.0f} ms {'OK' if page_ok else 'MISSED'}"
        out(line)
    connection.close()
    return ok


if __name__ == "__main__":
    sys.exit(0 if measure() else 1)
