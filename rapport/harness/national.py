"""A practice group at national scale on one PostgreSQL primary (README "National scale"):
`python -m rapport.harness.national --administrations 10000000`.

Builds, in a throwaway PostgreSQL cluster (or an empty database given with --url), a group of
practices of very different sizes — the largest some 7% of the group — with a hundred clients
per clinician and N administrations (a PHQ-9 and a session rating at every attended session)
spread over two years, so over some 25 monthly partitions. Rows are made by the database itself
(INSERT … SELECT over generate_series), not sent row by row. Then it times, through Rapport's own
code, the dashboard refresh of the largest practice and of every practice one after another, and
the trajectory refit of the largest practice; prints seconds, this process's peak memory and the
database's size; and exits non-zero when the refresh of a practice takes over 30 s or the refit
over 60 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import sys
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

DASHBOARD_GOAL_S = 30.0
REFIT_GOAL_S = 60.0
ADMINISTRATIONS_PER_EPISODE = 11  # two at each of 2 to 9 sessions, 5.5 on average
CLIENTS_PER_CLINICIAN = 100

# Server settings for a bulk load and analytic reads on this machine; a production server is
# tuned for its own memory (README "National scale").
SERVER_SETTINGS = {
    "shared_buffers": "1GB",
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "effective_cache_size": "8GB",
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(label: str, work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    print(
        f"  {label}: {seconds:.1f} s (peak memory of this process {peak_mb():.0f} MB)", flush=True
    )
    return seconds, result


def practice_sizes(episodes: int, practices: int) -> list[int]:
    """Episodes per practice: practice i of P takes √(i/P) − √((i−1)/P) of them, so the largest
    holds about 1/√P of the group and the smallest a few hundredths of that."""
    bounds = [round(episodes * ((i / practices) ** 0.5)) for i in range(practices + 1)]
    return [max(1, bounds[i + 1] - bounds[i]) for i in range(practices)]


def generate(administrations: int, practices: int) -> dict[str, int]:
    from django.db import connection, transaction

    from rapport.accounts.models import Role, User
    from rapport.partitions import partitions_ensure
    from rapport.practices.models import Practice

    episodes = max(practices, administrations // ADMINISTRATIONS_PER_EPISODE)
    sizes = practice_sizes(episodes, practices)
    rows: list[tuple[int, int, int, int]] = []  # practice, first episode, episodes, clinicians
    clinicians: list[tuple[int, int, int]] = []  # practice, k, user
    first = 1
    with transaction.atomic():
        for index, size in enumerate(sizes):
            practice = Practice.objects.create(name=f"Practice {index + 1:04d}")
            count = max(2, size // CLIENTS_PER_CLINICIAN)
            made = User.objects.bulk_create(
                User(
                    email=f"clinician{k}-{practice.pk}@generated.invalid",
                    full_name=f"Clinician {practice.pk}-{k:04d}",
                    practice=practice,
                    role=Role.CLINICIAN,
                    password="!",
                )
                for k in range(count)
            )
            clinicians += [(practice.pk, k, user.pk) for k, user in enumerate(made)]
            rows.append((practice.pk, first, size, count))
            first += size
    partitions_ensure(since=date(2024, 1, 1))
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE national_practice (practice_id bigint, first_episode bigint, "
            "episodes bigint, clinicians bigint)"
        )
        cursor.executemany("INSERT INTO national_practice VALUES (%s, %s, %s, %s)", rows)
        cursor.execute(
            "CREATE TEMP TABLE national_clinician (practice_id bigint, k int, id bigint)"
        )
        cursor.executemany("INSERT INTO national_clinician VALUES (%s, %s, %s)", clinicians)
        for label, sql in LOAD:
            timed(label, partial(cursor.execute, sql))
    return {"practices": practices, "clinicians": len(clinicians), "episodes": episodes}


# The bulk load: written consistent by construction, so with triggers and foreign-key checks
# off for its session (as a restore does); a response's id is its assignment's.
LOAD: list[tuple[str, str]] = [
    ("triggers off for the load", "SET session_replication_role = replica"),
    (
        "episodes staged",
        "CREATE TEMP TABLE national_episode AS "
        "SELECT e AS id, p.practice_id, c.id AS clinician_id, 2 + floor(r.s * 8)::int AS sessions,"
        " floor(r.d * 640)::int AS start_day, r.c < 0.8 AS closed, r.c < 0.16 AS dropped,"
        " r.intake, greatest(0, least(27, round(1 + 0.55 * r.intake + r.f * 8 - 4))) AS final "
        "FROM national_practice p "
        "CROSS JOIN LATERAL generate_series(p.first_episode, p.first_episode + p.episodes - 1) e "
        "JOIN national_clinician c ON c.practice_id = p.practice_id AND c.k = e % p.clinicians "
        "CROSS JOIN LATERAL (SELECT random() + e * 0 AS s, random() AS d, random() AS c, "
        " 5 + floor(random() * 23) AS intake, random() AS f) r",
    ),
    (
        "clients",
        "INSERT INTO people_client (id, practice_id, user_id, full_name, preferred_name, pronouns,"
        " date_of_birth, email, phone, address, preferred_language, status, created_at,"
        " search_name) "
        "SELECT id, practice_id, NULL, 'Client ' || id, '', '', '1980-01-01', '', '', '',"
        " 'English', CASE WHEN closed THEN 'discharged' ELSE 'active' END, now(), 'client ' || id "
        "FROM national_episode",
    ),
    (
        "episodes",
        "INSERT INTO care_episode (id, practice_id, client_id, primary_clinician_id,"
        " referral_reason, start_date, end_date, status, closure_reason, closure_note) "
        "SELECT id, practice_id, id, clinician_id, '', (timestamptz '2024-01-01 10:00+00' "
        " + start_day * interval '1 day')::date, CASE WHEN closed THEN (timestamptz "
        "'2024-01-01 10:00+00' + (start_day + 7 * sessions + 7) * interval '1 day')::date END,"
        " CASE WHEN closed THEN 'closed' ELSE 'active' END,"
        " CASE WHEN dropped THEN 'dropped_out' WHEN closed THEN 'completed' ELSE '' END, '' "
        "FROM national_episode",
    ),
    (
        "sessions",
        "INSERT INTO care_session (id, episode_id, clinician_id, scheduled_start,"
        " duration_minutes, modality, attendance, private_notes, updated_at) "
        "SELECT (e.id - 1) * 10 + k + 1, e.id, e.clinician_id, timestamptz "
        "'2024-01-01 10:00+00' + (e.start_day + 7 * k) * interval '1 day', 50,"
        " (ARRAY['in_person', 'video', 'phone'])[1 + (e.id + k / 4) % 3], 'attended', '', now() "
        "FROM national_episode e CROSS JOIN LATERAL generate_series(0, e.sessions - 1) k",
    ),
    (
        "assignments",
        "INSERT INTO measures_assignment (id, episode_id, session_id, plan_id, instrument_id,"
        " respondent, respondent_user_id, respondent_key, status, remote, draft, created_at,"
        " due_at) "
        "SELECT s.id * 2 - 1 + j, s.episode_id, s.id, NULL,"
        " (ARRAY['phq9', 'feedback-client'])[j + 1], 'client', NULL, 'client', 'completed',"
        " false, '{}', s.scheduled_start, s.scheduled_start "
        "FROM care_session s CROSS JOIN generate_series(0, 1) j",
    ),
    (
        "responses",
        "INSERT INTO measures_response (id, assignment_id, episode_id, instrument_id,"
        " instrument_version, respondent, answers, total, subscales, band, severity, prorated,"
        " flags, mode, completed_at) "
        "SELECT a.id, a.id, a.episode_id, a.instrument_id, '1', 'client', '{}',"
        " CASE WHEN a.instrument_id = 'phq9' THEN greatest(0, least(27, round(e.intake"
        "  + (e.final - e.intake) * ((a.session_id - 1) % 10) / (e.sessions - 1)"
        "  + CASE WHEN (a.session_id - 1) % 10 IN (0, e.sessions - 1) THEN 0"
        "    ELSE random() * 4 - 2 END)))"
        "  ELSE least(40, round(33 + random() * 7)) END,"
        " '{}', '', NULL, false, '[]', 'in_session',"
        " a.due_at + interval '50 minutes' + (a.id % 2 = 0)::int * interval '1 minute' "
        "FROM measures_assignment a JOIN national_episode e ON e.id = a.episode_id",
    ),
    ("triggers back on", "SET session_replication_role = DEFAULT"),
    ("statistics", "ANALYZE"),
]


def reset_sequences() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    from rapport.care.models import Episode, Session
    from rapport.measures.models import Assignment, Response
    from rapport.people.models import Client

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(
            no_style(), [Client, Episode, Session, Assignment, Response]
        ):
            cursor.execute(statement)


def measure(*, group: bool) -> tuple[float, float, list[str]]:
    from django.db import connection
    from django.db.models import Count

    from rapport.dashboards.refresh import dashboards_refresh
    from rapport.practices.models import Practice
    from rapport.trajectories.refresh import trajectories_refresh

    largest = Practice.objects.annotate(n=Count("episodes")).order_by("-n").first()
    assert largest is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM measures_response r JOIN care_episode e ON e.id = r.episode_id "
            "WHERE e.practice_id = %s",
            [largest.pk],
        )
        own = cursor.fetchone()[0]
    print(f"largest practice: {largest.name}, {largest.n} episodes, {own} administrations")
    refresh_s, _ = timed(
        "dashboard refresh, largest practice", lambda: dashboards_refresh(practice=largest)
    )
    slowest = refresh_s
    if group:
        practices = list(Practice.objects.order_by("pk"))

        def everyone() -> float:
            worst = 0.0
            for practice in practices:
                started = time.perf_counter()
                dashboards_refresh(practice=practice)
                worst = max(worst, time.perf_counter() - started)
            return worst

        _, worst = timed(f"dashboard refresh, all {len(practices)} practices in turn", everyone)
        slowest = max(slowest, worst)
    refit_s, fitted = timed(
        "trajectory refit, largest practice", lambda: trajectories_refresh(practice=largest)
    )
    lines = [f"{e.family}: {e.method}, {e.n_clients} clients, {e.n_obs} scores" for e in fitted]
    return slowest, refit_s, lines


def database_size() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        return str(cursor.fetchone()[0])


def run(url: str, administrations: int, practices: int, *, group: bool) -> bool:
    os.environ.pop("RAPPORT_DEBUG", None)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "rapport.settings",
            "DATABASE_URL": url,
            "RAPPORT_SECRET_KEY": secrets.token_urlsafe(48),
            "RAPPORT_AUDIT_KEY": secrets.token_urlsafe(48),
        }
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    print(f"generating {administrations} administrations in {practices} practices", flush=True)
    made_s, counts = timed("generated", lambda: generate(administrations, practices))
    reset_sequences()
    print(
        f"  {counts['practices']} practices, {counts['clinicians']} clinicians, "
        f"{counts['episodes']} clients and episodes; database {database_size()}",
        flush=True,
    )
    refresh_s, refit_s, fitted = measure(group=group)
    for line in fitted:
        print(f"  fitted {line}")
    print(f"database size {database_size()}; peak memory of this process {peak_mb():.0f} MB")
    met = refresh_s <= DASHBOARD_GOAL_S and refit_s <= REFIT_GOAL_S
    print(
        f"slowest dashboard refresh {refresh_s:.1f} s (goal {DASHBOARD_GOAL_S:.0f} s), "
        f"trajectory refit {refit_s:.1f} s (goal {REFIT_GOAL_S:.0f} s): "
        + ("goals met" if met else "a goal was MISSED")
    )
    return met


def tuned_cluster_url(cluster: Any) -> str:
    import psycopg

    with psycopg.connect(cluster.url, autocommit=True) as connection:
        for name, value in SERVER_SETTINGS.items():
            connection.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    cluster.stop()
    cluster.start()
    return str(cluster.url)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--administrations", type=int, default=1_000_000)
    parser.add_argument(
        "--practices", type=int, default=0, help="default: one per 50,000 administrations"
    )
    parser.add_argument("--url", default="", help="an empty PostgreSQL database to fill instead")
    parser.add_argument(
        "--no-group", action="store_true", help="skip refreshing every practice in turn"
    )
    args = parser.parse_args(argv)
    if not 1_000 <= args.administrations <= 100_000_000:
        parser.error("--administrations must be from 1,000 to 100,000,000")
    practices = args.practices or max(2, args.administrations // 50_000)
    if args.url:
        met = run(args.url, args.administrations, practices, group=not args.no_group)
    else:
        from rapport.harness.pg import throwaway_cluster

        with throwaway_cluster() as cluster:
            url = tuned_cluster_url(cluster)
            met = run(url, args.administrations, practices, group=not args.no_group)
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
