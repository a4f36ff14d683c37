"""Fear ladders for the demo practice: two anxious clients climbing a ladder of feared situations.

The demo's portal client (worry before university finals) and the client referred for panic
attacks on public transport each get a ladder of seven steps, easiest first. They practise in
their sessions and as homework three days later, from their third attended session on. On each
step the peak distress starts near what they expected and falls with repetition, with some
noise, until the ladder's mastery rule (core.exposure) is met; then they move up. By the demo's
today each has mastered two or three steps and is practising the next; the top steps are not
started. The practice fills the most recent practice days, so the climb reaches the present.
The portal client records their homework in the portal themself.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

from rapport.care.models import Attendance, Episode, EpisodeStatus, Session
from rapport.core import exposure as rules
from rapport.demo.data import ClientSpec
from rapport.exposure.models import Attempt, Ladder, Step

Setting = Attempt.Setting
Via = Attempt.Via

# Ladders by referral reason (see data.ADULT_REFERRALS): (title, [(situation, SUDS)]).
LADDERS: dict[str, tuple[str, list[tuple[str, int]]]] = {
    "Worry and procrastination before university finals": (
        "Facing revision and exams",
        [
            ("Open last year's past paper and read the questions", 30),
            ("Revise for 25 minutes with the phone in another room", 40),
            ("Answer one past-paper question against the clock", 55),
            ("Show a practice answer to a friend from the course", 65),
            ("Ask a question in the seminar", 75),
            ("Sit a full mock paper in the library", 85),
            ("Email the tutor for feedback on a mock answer", 90),
        ],
    ),
    "Panic attacks on public transport": (
        "Travelling by bus and train again",
        [
            ("Stand at the bus stop for ten minutes", 35),
            ("Ride the bus one stop with my partner", 40),
            ("Ride the bus one stop alone", 55),
            ("Ride the bus into town at a quiet time", 65),
            ("Take the train one station alone", 75),
            ("Ride the bus into town at rush hour", 85),
            ("Take the train to work and back", 95),
        ],
    ),
}
START_AT_SESSION = 3  # assessment and the first formulation sessions come first
HOMEWORK_AFTER = timedelta(days=3)
MASTERED_STEPS = (2, 3)  # how many steps each client has mastered by the demo's today
NOTES = (
    "Wanted to leave after a few minutes but stayed.",
    "Easier than I expected.",
    "Heart racing at the start, settled after a while.",
    "Used the breathing, then dropped it and just stayed.",
    "",
    "",
    "",
)


def _practice_days(attended: list[Session], today: date) -> list[tuple[date, str]]:
    """In session on each session day from the third on, and homework three days after."""
    days = []
    for session in attended[START_AT_SESSION - 1 :]:
        day = session.scheduled_start.date()
        days.append((day, Setting.IN_SESSION))
        if day + HOMEWORK_AFTER < today:
            days.append((day + HOMEWORK_AFTER, Setting.HOMEWORK))
    return [(day, setting) for day, setting in days if day < today]


def _climb(steps: list[Step], rng: random.Random) -> list[tuple[Step, int]]:
    """The peak distress of each practice, step by step, until the current step."""
    rule = rules.MasteryRule()
    to_master = rng.choice(MASTERED_STEPS)
    practised: list[tuple[Step, int]] = []
    for index, step in enumerate(steps[: to_master + 1]):
        peaks: list[int] = []
        # Even the easiest step starts well above mastery: otherwise it was no step at all.
        start = min(100, max(rule.peak_at_most + 12, step.expected_suds + rng.randint(-5, 10)))
        while not rules.is_mastered(peaks, rule):
            if index == to_master and len(peaks) == 3:
                break  # the step they are on now: practising, not there yet
            fall = 0.72 + rng.random() * 0.15
            peak = max(5, min(100, round(start * fall ** len(peaks) + rng.randint(-4, 4))))
            if index == to_master:
                peak = max(peak, rule.peak_at_most + 8)
            peaks.append(peak)
        practised += [(step, peak) for peak in peaks]
    return practised


def _records(
    practised: list[tuple[Step, int]],
    days: list[tuple[date, str]],
    rng: random.Random,
    *,
    clinician_id: int,
    client_user_id: int | None,
) -> list[Attempt]:
    """The practices on the most recent practice days, so that the climb reaches the present."""
    practised = practised[-len(days) :] if days else []
    attempts = []
    for (step, peak), (practised_on, setting) in zip(
        practised, days[-len(practised) :], strict=True
    ):
        by_client = setting == Setting.HOMEWORK and client_user_id is not None
        attempts.append(
            Attempt(
                step=step,
                practised_on=practised_on,
                setting=setting,
                anticipated_suds=min(100, peak + rng.randint(5, 20)),
                peak_suds=peak,
                end_suds=round(peak * (0.4 + rng.random() * 0.3)),
                duration_minutes=rng.choice((20, 30, 40)),
                notes=rng.choice(NOTES) if by_client else "",
                recorded_by_id=(
                    client_user_id if by_client and client_user_id is not None else clinician_id
                ),
                recorded_via=Via.PORTAL if by_client else Via.CLINIC,
            )
        )
    return attempts


def build_demo_exposure(
    *,
    plan: tuple[ClientSpec, ...],
    episodes: list[Episode],
    sessions: list[Session],
    today: date,
    seed: int,
) -> dict[str, int]:
    """Ladders, steps and practice records for the two anxious demo clients; returns counts."""
    attended: dict[int, list[Session]] = defaultdict(list)
    for session in sorted(sessions, key=lambda s: s.scheduled_start):
        if session.attendance == Attendance.ATTENDED:
            attended[session.episode_id].append(session)
    chosen = [
        (spec, episode)
        for spec, episode in zip(plan, episodes, strict=True)
        if spec.referral_reason in LADDERS and episode.status != EpisodeStatus.CLOSED
    ]
    ladders, steps, attempts = 0, 0, []
    for spec, episode in chosen[:2]:
        rng = random.Random(f"{seed}:exposure:{spec.full_name}")
        title, situations = LADDERS[spec.referral_reason]
        ladder = Ladder.objects.create(
            episode=episode, title=title, created_by_id=episode.primary_clinician_id
        )
        created = Step.objects.bulk_create(
            Step(ladder=ladder, situation=situation, expected_suds=suds, position=n)
            for n, (situation, suds) in enumerate(situations, start=1)
        )
        ladders += 1
        steps += len(created)
        attempts += _records(
            _climb(created, rng),
            _practice_days(attended[episode.pk], today),
            rng,
            clinician_id=episode.primary_clinician_id,
            client_user_id=episode.client.user_id,
        )
    Attempt.objects.bulk_create(attempts)
    return {"ladders": ladders, "ladder_steps": steps, "ladder_attempts": len(attempts)}
