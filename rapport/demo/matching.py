"""The demo's stuck-case review: one, opened by hand and completed a month ago by the primary
clinician of an open episode whose scores went off track; its follow-up date passed a week ago,
so the supervisor's dashboard lists it as overdue, and the off-track alert still open on the
client page is where the clinician would start the follow-up review.

Stored directly, unaudited, like the rest of the demo: a trail of invented people is noise."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from rapport.alerts.models import Alert
from rapport.care.models import Episode, EpisodeStatus
from rapport.core import case_review as rules
from rapport.matching.models import ClientPreference, FitCheck, StuckCaseReview
from rapport.matching.queries import review_facts

DONE_AGO = timedelta(days=30)
FOLLOW_UP_AFTER = timedelta(days=21)
DECISION = (
    "Talk with the client about how our sessions feel, then revise the plan together; "
    "bring the case to supervision first."
)
ANSWERS = {
    "alliance": ("concern", "Quieter in sessions since the homework was set."),
    "agreement": ("concern", "The plan's goals are mine more than theirs."),
    "motivation": ("fine", ""),
    "life_events": ("unsure", "Exams this month; ask."),
    "support": ("fine", ""),
    "approach": ("unsure", ""),
}


def build_demo_review(*, episodes: list[Episode], today: date) -> dict[str, int]:
    done_on = today - DONE_AGO
    eligible = [
        e.pk
        for e in episodes
        if e.status != EpisodeStatus.CLOSED and e.start_date < done_on - timedelta(days=28)
    ]
    # A clinician with a supervisor, whose dashboard then lists the review as overdue.
    supervised = Episode.objects.filter(
        pk__in=eligible, primary_clinician__team__supervisor__isnull=False
    )
    off_track = Alert.objects.filter(
        episode__in=supervised, kind__in=rules.OFF_TRACK_ALERT_KINDS
    ).order_by("-opened_at", "-pk")
    first_alert = off_track.select_related("episode__practice").first()
    episode = (
        first_alert.episode
        if first_alert is not None
        else supervised.select_related("practice").order_by("pk").first()
    )
    if episode is None:
        return {"case_reviews": 0}
    clinician = episode.primary_clinician
    done_at = datetime.combine(done_on, time(17, 30), tzinfo=episode.practice.zone)
    StuckCaseReview.objects.create(
        episode=episode,
        opened_by=clinician,
        opened_at=done_at - timedelta(hours=1),
        trigger=rules.Trigger.BY_HAND.value,
        facts=review_facts(episode, today=done_on),
        answers={key: {"answer": a, "note": note} for key, (a, note) in ANSWERS.items()},
        options=[
            rules.Option.RUPTURE_CONVERSATION.value,
            rules.Option.PLAN_REVISION.value,
            rules.Option.SUPERVISION.value,
        ],
        decision=DECISION,
        decided_by=clinician,
        follow_up_on=done_on + FOLLOW_UP_AFTER,
        completed_at=done_at,
        status=StuckCaseReview.Status.DONE,
    )
    return {"case_reviews": 1}


# The demo's fit check: an adult client asked their therapist for another, three days ago; the
# therapist recorded it in the client's words and, the client having asked, it went straight to
# the coordinator's list. An adult without a portal account: the demo's one portal client stays
# free to ask privately, as a visitor trying the demo would.
FIT_ASKED_AGO = timedelta(days=3)
FIT_WORDS = (
    "I leave every session feeling judged, and I have stopped saying what I really think. "
    "I would like someone calmer, who lets me get to things in my own time."
)
FIT_PREFERENCES = (
    (ClientPreference.Kind.CHALLENGE, "gentle", ClientPreference.Strength.MUST),
    (ClientPreference.Kind.MODALITY, "video", ClientPreference.Strength.PREFER),
)


def build_demo_fit_check(*, episodes: list[Episode], today: date) -> dict[str, int]:
    reviewed = set(StuckCaseReview.objects.values_list("episode_id", flat=True))
    candidates = sorted(
        (
            e
            for e in episodes
            if e.status != EpisodeStatus.CLOSED
            and e.pk not in reviewed
            and e.client.user_id is None
            and not e.client.is_minor
        ),
        key=lambda e: e.pk,
    )
    if not candidates:
        return {"fit_checks": 0}
    episode = candidates[0]
    asked_at = datetime.combine(today - FIT_ASKED_AGO, time(19, 40), tzinfo=episode.practice.zone)
    FitCheck.objects.create(
        episode=episode,
        starter=FitCheck.Starter.THERAPIST,
        requested_by_id=episode.primary_clinician_id,
        requested_at=asked_at,
        status=FitCheck.Status.WITH_COORDINATOR,
        words=FIT_WORDS,
        reason=FitCheck.Reason.DIFFERENT_APPROACH,
        client_asked=True,
        sent_to_coordinator_at=asked_at,
    )
    for kind, value, strength in FIT_PREFERENCES:
        ClientPreference.objects.update_or_create(
            client=episode.client, kind=kind, defaults={"value": value, "strength": strength}
        )
    return {"fit_checks": 1}
