"""The dashboards' speed at 100,000 clients and about 1,000,000 administrations.

A practice is generated straight into a throwaway SQLite database with bulk inserts (its time is
reported apart; the same generator fills the tests' database, SQLite or PostgreSQL). Then:
(a) `dashboards_refresh` — reading the database included — against the goal of 5 s, with the
    bare read of the Response columns it needs (one SELECT, fetched) as the baseline;
(b) the dashboard pages through django.test.Client as the supervisor, p50 and p95 of repeated
    requests against the goal of 200 ms, with /healthz as the baseline.

Set RAPPORT_BENCH_DASHBOARD_CLIENTS to scale the practice (for example 10000 for a quick look).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

REFRESH_GOAL_S = 5.0
PAGE_GOAL_MS = 200.0
PAGE_REPEATS = 30
CLIENTS = 100_000
CLIENTS_PER_THERAPIST = 100
TEAM_SIZE = 10  # therapists per team; the supervisor supervises one team
MODALITY_SHARES = {"in_person": 0.5, "video": 0.35, "phone": 0.15}
CLOSED_SHARE = 0.8
DROPOUT_SHARE = 0.2  # of closed episodes
THERAPIST_SD = 1.0  # points of final PHQ-9 between therapists (true ICC ≈ 1/(1 + 16) ≈ 0.06)
RESIDUAL_SD = 4.0
TRUE_ICC = THERAPIST_SD**2 / (THERAPIST_SD**2 + RESIDUAL_SD**2)
FIRST_DAY = datetime(2024, 1, 1, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class GeneratedPractice:
    practice_id: int
    supervisor_id: int
    therapist_ids: list[int]
    clients: int
    episodes: int
    sessions: int
    administrations: int
    seconds: float


def _ids(cursor: Any, table: str, count: int) -> np.ndarray:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # nosec B608
    start = int(cursor.fetchone()[0]) + 1
    return np.arange(start, start + count, dtype=np.int64)


def _stamps(days: np.ndarray, hours: float = 0.0) -> list[str]:
    """Days after FIRST_DAY as UTC text: what Django stores for an aware datetime in SQLite, and
    what PostgreSQL reads in the UTC session time zone Django gives its connections."""
    base = np.datetime64(FIRST_DAY.replace(tzinfo=None), "s")
    seconds = (days * 86400 + hours * 3600).astype("timedelta64[s]")
    text = np.datetime_as_string(base + seconds, unit="s")
    return [t.replace("T", " ") for t in text.tolist()]


def generate_practice(
    *, clients: int, seed: int = 20261126, name: str = "Generated practice"
) -> GeneratedPractice:
    """A practice of `clients` adults, one episode each, scored on the PHQ-9 and rated on the
    session feedback at every attended session, written with bulk inserts.

    Therapists differ by a random effect on the final score, so the therapist effect is known.
    """
    from django.db import connection, transaction

    from rapport.accounts.models import Role, User
    from rapport.practices.models import Practice, Team

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    n_therapists = max(2, clients // CLIENTS_PER_THERAPIST)
    with transaction.atomic():
        practice = Practice.objects.create(name=name)
        teams = Team.objects.bulk_create(
            Team(practice=practice, name=f"Team {i + 1}")
            for i in range((n_therapists + TEAM_SIZE - 1) // TEAM_SIZE)
        )
        team = teams[0]  # the supervisor's: the first TEAM_SIZE therapists
        supervisor = User.objects.create(
            email=f"supervisor-{practice.pk}@generated.invalid",
            full_name="Sam Supervisor",
            practice=practice,
            role=Role.SUPERVISOR,
            password="!",
        )
        team.supervisor = supervisor
        team.save(update_fields=["supervisor"])
        therapists = User.objects.bulk_create(
            User(
                email=f"therapist{i}-{practice.pk}@generated.invalid",
                full_name=f"Therapist {i:04d}",
                practice=practice,
                role=Role.CLINICIAN,
                team=teams[i // TEAM_SIZE],
                password="!",
            )
            for i in range(n_therapists)
        )
        therapist_ids = np.array([t.pk for t in therapists], dtype=np.int64)
        counts = _write_rows(connection, rng, practice.pk, clients, therapist_ids)
        _reset_sequences(connection)
    return GeneratedPractice(
        practice_id=practice.pk,
        supervisor_id=supervisor.pk,
        therapist_ids=therapist_ids.tolist(),
        clients=clients,
        episodes=clients,
        sessions=counts[0],
        administrations=counts[1],
        seconds=time.perf_counter() - started,
    )


def _reset_sequences(connection: Any) -> None:
    """Rows were written with explicit ids: move PostgreSQL's id sequences past them, or the
    next row the ORM creates collides (SQLite takes MAX(id) + 1 by itself)."""
    from django.core.management.color import no_style

    from rapport.care.models import Episode, Session
    from rapport.measures.models import Assignment, Response
    from rapport.people.models import Client

    statements = connection.ops.sequence_reset_sql(
        no_style(), [Client, Episode, Session, Assignment, Response]
    )
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


class _RawCursor:
    """The driver's own cursor (executemany without Django's per-row wrappers), taking the
    generator's SQL written with `?` placeholders whatever the driver's style is."""

    def __init__(self, connection: Any) -> None:
        connection.ensure_connection()
        self._cursor = connection.connection.cursor()
        self._format = "qmark" if connection.vendor == "sqlite" else "format"

    def _sql(self, sql: str) -> str:
        return sql if self._format == "qmark" else sql.replace("?", "%s")

    def execute(self, sql: str, params: Any = ()) -> None:
        self._cursor.execute(self._sql(sql), params)

    def executemany(self, sql: str, rows: Any) -> None:
        self._cursor.executemany(self._sql(sql), rows)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()


def _write_rows(
    connection: Any, rng: np.random.Generator, practice_id: int, n: int, therapist_ids: np.ndarray
) -> tuple[int, int]:
    cursor = _RawCursor(connection)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    # Clients and episodes.
    client_ids = _ids(cursor, "people_client", n)
    episode_ids = _ids(cursor, "care_episode", n)
    therapist_of = rng.integers(0, therapist_ids.size, n)
    effect = rng.normal(0.0, THERAPIST_SD, therapist_ids.size)
    sessions = 2 + rng.poisson(3.0, n)  # attended sessions, 2 or more
    start_day = rng.integers(0, 600, n)
    closed = rng.random(n) < CLOSED_SHARE
    dropped = closed & (rng.random(n) < DROPOUT_SHARE)
    end_day = start_day + 7 * (sessions - 1) + 14
    cursor.executemany(
        "INSERT INTO people_client (id, practice_id, user_id, full_name, preferred_name, "
        "pronouns, date_of_birth, email, phone, address, preferred_language, status, created_at) "
        "VALUES (?, ?, NULL, ?, '', '', '1980-01-01', '', '', '', 'English', ?, ?)",
        (
            (cid, practice_id, f"Client {cid}", "discharged" if c else "active", now)
            for cid, c in zip(client_ids.tolist(), closed.tolist(), strict=True)
        ),
    )
    start_dates = [d[:10] for d in _stamps(start_day)]
    end_dates = [d[:10] for d in _stamps(end_day)]
    cursor.executemany(
        "INSERT INTO care_episode (id, practice_id, client_id, primary_clinician_id, "
        "referral_reason, start_date, end_date, status, closure_reason, closure_note) "
        "VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, '')",
        (
            (
                eid,
                practice_id,
                cid,
                tid,
                start,
                end if c else None,
                "closed" if c else "active",
                ("dropped_out" if d else "completed") if c else "",
            )
            for eid, cid, tid, start, end, c, d in zip(
                episode_ids.tolist(),
                client_ids.tolist(),
                therapist_ids[therapist_of].tolist(),
                start_dates,
                end_dates,
                closed.tolist(),
                dropped.tolist(),
                strict=True,
            )
        ),
    )
    # Sessions: one row per attended session, in order within each episode.
    total = int(sessions.sum())
    row_episode = np.repeat(np.arange(n), sessions)
    offsets = np.cumsum(sessions) - sessions
    index = np.arange(total) - np.repeat(offsets, sessions)  # 0 = intake
    session_ids = _ids(cursor, "care_session", total)
    modalities = np.array(list(MODALITY_SHARES))
    main = rng.choice(modalities.size, n, p=list(MODALITY_SHARES.values()))
    session_modality = np.where(
        rng.random(total) < 0.85, main[row_episode], rng.integers(0, modalities.size, total)
    )
    days = start_day[row_episode] + 7 * index
    stamps = _stamps(days, hours=10.0)
    cursor.executemany(
        "INSERT INTO care_session (id, episode_id, clinician_id, scheduled_start, "
        "duration_minutes, modality, attendance, private_notes, updated_at) "
        "VALUES (?, ?, ?, ?, 50, ?, 'attended', '', ?)",
        (
            (sid, eid, tid, at, modality, now)
            for sid, eid, tid, at, modality in zip(
                session_ids.tolist(),
                episode_ids[row_episode].tolist(),
                therapist_ids[therapist_of[row_episode]].tolist(),
                stamps,
                modalities[session_modality].tolist(),
                strict=True,
            )
        ),
    )
    # Scores: intake to final along a straight line with noise; final depends on the therapist.
    intake = np.clip(np.round(rng.normal(15.0, 5.0, n)), 5, 27)
    final = np.clip(
        np.round(1.0 + 0.55 * intake + effect[therapist_of] + rng.normal(0, RESIDUAL_SD, n)),
        0,
        27,
    )
    share = index / np.maximum(sessions[row_episode] - 1, 1)
    middle = (index > 0) & (share < 1)
    phq = intake[row_episode] + (final - intake)[row_episode] * share
    phq = np.where(middle, np.clip(np.round(phq + rng.normal(0, 1.5, total)), 0, 27), phq)
    feedback = np.clip(np.round(rng.normal(35.0, 3.0, total) + 0.3 * index), 0, 40)
    # Two administrations per session: the PHQ-9, then the session feedback a minute later.
    both = 2 * total
    assignment_ids = _ids(cursor, "measures_assignment", both)
    response_ids = _ids(cursor, "measures_response", both)
    instrument = np.tile(np.array(["phq9", "feedback-client"]), total)
    per_session = np.repeat(np.arange(total), 2)
    completed = _stamps(np.repeat(days, 2), hours=10.0)
    minute = np.tile(np.array([":50:00", ":51:00"]), total).tolist()
    completed = [c[:13] + m for c, m in zip(completed, minute, strict=True)]
    scores = np.empty(both)
    scores[0::2], scores[1::2] = phq, feedback
    episode_of = episode_ids[row_episode][per_session].tolist()
    cursor.executemany(
        "INSERT INTO measures_assignment (id, episode_id, session_id, plan_id, instrument_id, "
        "respondent, respondent_user_id, respondent_key, status, remote, draft, created_at, "
        "due_at) VALUES (?, ?, ?, NULL, ?, 'client', NULL, 'client', 'completed', FALSE, '{}', "
        "?, ?)",
        (
            (aid, eid, sid, inst, at, at)
            for aid, eid, sid, inst, at in zip(
                assignment_ids.tolist(),
                episode_of,
                session_ids[per_session].tolist(),
                instrument.tolist(),
                completed,
                strict=True,
            )
        ),
    )
    cursor.executemany(
        "INSERT INTO measures_response (id, assignment_id, episode_id, instrument_id, "
        "instrument_version, respondent, answers, total, subscales, band, severity, prorated, "
        "flags, mode, completed_at) VALUES (?, ?, ?, ?, '1', 'client', '{}', ?, '{}', '', NULL, "
        "FALSE, '[]', 'in_session', ?)",
        (
            (rid, aid, eid, inst, score, at)
            for rid, aid, eid, inst, score, at in zip(
                response_ids.tolist(),
                assignment_ids.tolist(),
                episode_of,
                instrument.tolist(),
                scores.tolist(),
                completed,
                strict=True,
            )
        ),
    )
    return total, both


# --- The benchmark --------------------------------------------------------------------------


def _environment(folder: Path) -> dict[str, str]:
    """Production settings on a throwaway database, for a process of its own."""
    env = {key: value for key, value in os.environ.items() if key != "RAPPORT_DEBUG"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "rapport.settings",
            "RAPPORT_SQLITE_PATH": str(folder / "bench.sqlite3"),
            "RAPPORT_SECRET_KEY": secrets.token_urlsafe(48),
            "RAPPORT_AUDIT_KEY": secrets.token_urlsafe(48),
            "RAPPORT_ALLOWED_HOSTS": "testserver",
            # The pages are timed as a signed-in supervisor; the two-step sign-in is not timed.
            "RAPPORT_REQUIRE_STAFF_2FA": "0",
        }
    )
    return env


def _setup_django() -> None:
    import django
    from django.conf import settings

    django.setup()
    # Static file names are not looked up in the manifest that `collectstatic` writes: a
    # throwaway installation has none.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def _percentiles(samples: list[float]) -> tuple[float, float]:
    values = np.array(samples) * 1000.0
    return float(np.percentile(values, 50)), float(np.percentile(values, 95))


def run_in_own_process(module: str, label: str, out: Callable[[str], None]) -> bool:
    """Run a section's module in a process of its own, on a throwaway database: Django's
    settings (the database above all) are fixed once per process, and another section may
    already have set them up."""
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [sys.executable, "-m", module],
            env=_environment(Path(folder)),
            capture_output=True,
            text=True,
            check=False,
        )
    for line in done.stdout.splitlines():
        out(line)
    if done.returncode != 0 and "Traceback" in done.stderr:
        out(f"{label}: the benchmark failed:\n{done.stderr[-4000:]}")
    return done.returncode == 0


def run(out: Callable[[str], None] = print) -> bool:
    return run_in_own_process("rapport.speed.dashboards", "dashboards", out)


def measure(out: Callable[[str], None] = print) -> bool:
    clients = int(os.environ.get("RAPPORT_BENCH_DASHBOARD_CLIENTS", CLIENTS))
    if not os.environ.get("RAPPORT_SQLITE_PATH"):
        raise RuntimeError("run the dashboards benchmark through run(): it needs its own database")
    _setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as WebClient

    from rapport.accounts.models import User
    from rapport.dashboards.refresh import dashboards_refresh
    from rapport.practices.models import Practice

    migrate_s, _ = _timed(lambda: call_command("migrate", verbosity=0))
    generated = generate_practice(clients=clients)
    out(
        f"dashboards: generated {generated.clients:,} clients, {generated.sessions:,} "
        f"sessions, {generated.administrations:,} administrations in "
        f"{generated.seconds:.1f} s (bulk inserts; migrations {migrate_s:.1f} s; not timed "
        "against a goal)"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    practice = Practice.objects.get(pk=generated.practice_id)

    def bare_read() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT episode_id, instrument_id, total FROM measures_response "
                "ORDER BY episode_id, completed_at, id"
            )
            return len(cursor.fetchall())

    baseline, rows = min((_timed(bare_read) for _ in range(2)), key=lambda t: t[0])
    refresh_times = []
    snapshot = None
    for _ in range(3):
        seconds, snapshot = _timed(lambda: dashboards_refresh(practice=practice))
        refresh_times.append(seconds)
    refresh = min(refresh_times)
    assert snapshot is not None
    refresh_ok = refresh <= REFRESH_GOAL_S
    out(
        f"dashboards: refresh of {snapshot.administrations:,} administrations "
        f"{refresh:.2f} s (best of 3; runs {', '.join(f'{t:.2f}' for t in refresh_times)}) "
        f"(goal <= {REFRESH_GOAL_S:.0f} s) {'OK' if refresh_ok else 'MISSED'}; bare read of "
        f"{rows:,} response rows {baseline:.2f} s; ratio {refresh / baseline:.1f}x"
    )
    [figures] = [i for i in snapshot.figures["instruments"] if i["id"] == "phq9"]
    icc = figures["therapist_effect"]
    out(
        f"dashboards: {figures['title']} ICC {icc['icc']:.3f} [{icc['lower']:.3f}, "
        f"{icc['upper']:.3f}] (true ≈ {TRUE_ICC:.3f}"
        f" before rounding and clipping); {len(figures['therapists'])} therapists compared"
    )

    web = WebClient()
    web.force_login(User.objects.get(pk=generated.supervisor_id))
    pages_ok = True
    timings: dict[str, tuple[float, float]] = {}
    for label, url in (
        ("/healthz", "/healthz"),
        ("practice dashboard", "/dashboard/practice/"),
        ("therapist dashboard (a team of 10 therapists)", "/dashboard/"),
    ):
        samples = []
        for _ in range(PAGE_REPEATS + 2):
            seconds, response = _timed(partial(web.get, url, secure=True))
            assert response.status_code == 200, (url, response.status_code)
            samples.append(seconds)
        timings[label] = _percentiles(samples[2:])  # the first two warm caches up
    base50, _ = timings["/healthz"]
    for label, (p50, p95) in timings.items():
        if label == "/healthz":
            out(f"dashboards: /healthz p50 {p50:.1f} ms, p95 {p95:.1f} ms (baseline)")
            continue
        ok = p95 <= PAGE_GOAL_MS
        pages_ok = pages_ok and ok
        out(
            f"dashboards: {label} p50 {p50:.1f} ms, p95 {p95:.1f} ms over {PAGE_REPEATS} "
            f"requests (goal p95 <= {PAGE_GOAL_MS:.0f} ms) {'OK' if ok else 'MISSED'}; "
            f"{p50 / base50:.1f}x /healthz"
        )
    connection.close()
    return refresh_ok and pages_ok


if __name__ == "__main__":
    sys.exit(0 if measure() else 1)
