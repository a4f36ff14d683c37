"""Reads for the stuck-case review: what the data say about an episode (from the other apps' own
queries, so no figure is computed a second way), the latest review of an episode, and the
reviews that are overdue for a supervisor."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from rapport import access
from rapport.accounts.models import CLINICAL_STAFF_ROLES, User
from rapport.alerts.models import Alert
from rapport.alliance.models import Rupture
from rapport.alliance.queries import (
    SessionAlliance,
    alliance_by_session,
    alliance_score_range,
    rules_settings,
    status_of,
)
from rapport.care.models import Attendance, Episode, EpisodeStatus, Session, SessionKind
from rapport.consent import viewer_shared
from rapport.core import candidates as cand
from rapport.core import case_review as rules
from rapport.core import fit_check as fit_rules
from rapport.core.ages import AgeBand
from rapport.core.alliance import AllianceSettings as AllianceRules
from rapport.core.change import Direction
from rapport.core.instruments import Instrument
from rapport.core.matching import EffectivenessResult, fit_effectiveness
from rapport.matching.models import (
    FitCheck,
    FitCheckSettings,
    FitSuggestionDismissal,
    StuckCaseReview,
    TherapistProfile,
)
from rapport.matching.wording import DOMAIN_NAMES_ENGLISH, NO_OUTCOME_DATA
from rapport.measures.models import Response
from rapport.measures.registry import outcome_families
from rapport.measures.reliable import change_rule
from rapport.people.models import Client
from rapport.plans import queries as plans
from rapport.plans.goal_status import goals_progress, measure_families
from rapport.trajectories.models import Status as TrackStatus
from rapport.trajectories.queries import episode_statuses

RECENT_SESSIONS = 3  # the alliance rows the review shows: the last few sessions, not the whole


def _number(value: object) -> float | None:
    return None if value is None else round(float(str(value)), 1)


def review_facts(episode: Episode, *, today: date | None = None) -> dict[str, Any]:
    """What the data say about the episode up to `today`, as plain JSON: stored with a
    completed review so the record keeps what the clinician saw. (Goals at risk are judged on
    all the data there is: the plans app has no view of them as of an earlier day.)"""
    today = today or timezone.localdate(timezone.now(), episode.practice.zone)
    families = measure_families(episode.practice_id)
    latest: dict[str, Any] = {}
    for status in episode_statuses(episode):  # oldest first: the last one of a family wins
        if status.at.date() > today:
            continue
        instrument = families.get(status.family)
        latest[status.family] = {
            "measure": instrument.short_title if instrument else status.family,
            "status": status.get_status_display(),
            "on": status.at.date().isoformat(),
            "score": _number(status.response.total),
            "worse_than_start": status.reliable_deterioration,
        }
    rows = [r for r in alliance_by_session(episode) if r.session.scheduled_start.date() <= today]
    low, high = alliance_score_range(episode, rows)
    alliance = [
        {
            "on": row.session.scheduled_start.date().isoformat(),
            "client": _number(row.client.total) if row.client else None,
            "therapist": _number(row.therapist.total) if row.therapist else None,
            "parents": [_number(g.total) for g in row.guardians],
        }
        for row in rows[-RECENT_SESSIONS:]
    ]
    ruptures = []
    shown = viewer_shared(episode.ruptures.all(), episode.client_id)
    for rupture in shown.filter(opened_at__date__lte=today).select_related("session", "episode"):
        state = status_of(rupture, rows).state
        if rules.rupture_may_start_review(state):
            ruptures.append(
                {"id": rupture.pk, "on": rupture.opened_at.date().isoformat(), "state": state}
            )
    version = plans.latest_version(episode)
    goals = [
        {"goal": progress.goal.title, "now": progress.current_words}
        for progress in goals_progress(episode, plans.episode_goals(version), today=today)
        if progress.progress.status.value == "at_risk"
    ]
    past = episode.sessions.filter(scheduled_start__date__lte=today)
    counts = Counter(past.values_list("attendance", flat=True))
    return {
        "as_of": today.isoformat(),
        "trajectory": list(latest.values()),
        "alliance": alliance,
        "alliance_range": [_number(low), _number(high)],
        "ruptures": ruptures,
        "goals_at_risk": goals,
        "attendance": {
            "attended": counts[Attendance.ATTENDED],
            "cancelled_by_client": counts[Attendance.CANCELLED_CLIENT],
            "cancelled_by_clinician": counts[Attendance.CANCELLED_CLINICIAN],
            "did_not_attend": counts[Attendance.NO_SHOW],
            "not_recorded": counts[Attendance.SCHEDULED],
        },
    }


def trigger_of_alert(episode: Episode, alert_id: int) -> Alert | None:
    """The episode's unresolved alert of this id, if it is one a review may start from."""
    alert = Alert.objects.filter(pk=alert_id, episode=episode).unresolved().first()
    if alert is None or rules.trigger_for_alert(alert.kind) is None:
        return None
    return alert


def trigger_of_rupture(episode: Episode, rupture_id: int) -> Rupture | None:
    """The episode's rupture of this id, if it is not repaired."""
    rupture = episode.ruptures.select_related("session", "episode").filter(pk=rupture_id).first()
    if rupture is None or not rules.rupture_may_start_review(status_of(rupture).state):
        return None
    return rupture


def completion_times(episode: Episode) -> list[datetime]:
    """When each of the episode's reviews was completed, oldest first (the progress chart marks
    them)."""
    done = episode.case_reviews.filter(
        status=StuckCaseReview.Status.DONE, completed_at__isnull=False
    )
    times = done.order_by("completed_at", "pk").values_list("completed_at", flat=True)
    return [at for at in times if at is not None]


def open_review(episode: Episode) -> StuckCaseReview | None:
    return episode.case_reviews.filter(status=StuckCaseReview.Status.OPEN).first()


def latest_review(episode: Episode) -> StuckCaseReview | None:
    """The episode's most recent completed review, with who decided."""
    return (
        episode.case_reviews.filter(status=StuckCaseReview.Status.DONE)
        .select_related("decided_by")
        .order_by("-completed_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class OverdueReview:
    review: StuckCaseReview
    reason: str


def overdue_reviews(user: User, *, today: date | None = None) -> list[OverdueReview]:
    """The reviews of open episodes in the user's care (a supervisor's include their teams')
    that are overdue: open and unfinished too long, or past their follow-up with no later
    review. Only each episode's latest review counts: a later one answers the earlier."""
    episodes = access.caseload_episodes(user) | access.team_episodes(user)
    reviews: QuerySet[StuckCaseReview] = (
        StuckCaseReview.objects.filter(episode__in=episodes)
        .exclude(episode__status=EpisodeStatus.CLOSED)
        .select_related("episode__client", "episode__primary_clinician", "decided_by")
        .order_by("episode_id", "-opened_at", "-pk")
    )
    # The active time zone is the practice's (set for every signed-in request).
    day = today or timezone.localdate()
    found = []
    seen: set[int] = set()
    for review in reviews:
        if review.episode_id in seen:
            continue
        seen.add(review.episode_id)
        words = rules.overdue_words(
            done=not review.is_open,
            opened_on=timezone.localdate(review.opened_at),
            follow_up=review.follow_up_on,
            later_review=False,  # the latest review of its episode, by construction
            today=day,
        )
        if words is not None:
            # Said in the reader's language, the day too ("Abierta el 3 dic 2026 ...").
            phrase, when = words
            reason = gettext(phrase) % {"day": date_format(when, gettext("j M Y"))}
            found.append(OverdueReview(review, reason))
    return found


# --- Fit checks ----------------------------------------------------------------------------------


def coordinators_setting(practice_id: int) -> str:
    return FitCheckSettings.for_practice(practice_id).coordinator


def load_fit_check(user: User, fit_check_id: int) -> tuple[FitCheck, access.FitCheckAccess]:
    """The fit check and what this staff member may do with it; 404 (audited) when they may
    not see it. The one way a staff page loads a fit check."""
    fit_check = (
        FitCheck.objects.filter(pk=fit_check_id, episode__practice_id=user.staff_practice_id)
        .select_related(*FitCheck.access_select_related)
        .first()
    )
    if fit_check is None:
        raise access.fit_check_deny(user, FitCheck, fit_check_id)
    may = access.fit_check_access(
        user, fit_check, coordinators=coordinators_setting(user.staff_practice_id)
    )
    if not may.see:
        raise access.fit_check_deny(user, FitCheck, fit_check_id)
    return fit_check, may


def load_consultation(user: User, session_id: int) -> Session:
    """A consultation with a possible new therapist, for whoever may record how it went (the
    candidate therapist, or a coordinator); 404 (audited) for anyone else."""
    session = (
        Session.objects.filter(
            pk=session_id,
            kind=SessionKind.CONSULTATION,
            episode__practice_id=user.staff_practice_id,
        )
        .select_related("episode__client", "clinician", "consultation_record__recorded_by")
        .first()
    )
    if session is None or not access.may_record_consultation(
        user, session, coordinators=coordinators_setting(user.staff_practice_id)
    ):
        raise access.fit_check_deny(user, Session, session_id)
    return session


def own_consultations(user: User) -> QuerySet[Session]:
    """The consultations a therapist holds with clients who may come to them, newest first."""
    return (
        Session.objects.filter(clinician=user, kind=SessionKind.CONSULTATION)
        .select_related("episode__client", "consultation_record")
        .order_by("-scheduled_start")
    )


def fit_check_consultations(fit_check: FitCheck) -> QuerySet[Session]:
    """The consultations booked while choosing a new therapist (booking needs the fit check to
    be with the coordinator, so none is held before the day it was asked for)."""
    return (
        Session.objects.filter(
            episode_id=fit_check.episode_id,
            kind=SessionKind.CONSULTATION,
            scheduled_start__date__gte=fit_check.requested_at.date(),
        )
        .select_related("clinician", "consultation_record__recorded_by")
        .order_by("scheduled_start")
    )


def coordinator_fit_checks(user: User) -> QuerySet[FitCheck]:
    """The fit checks on a coordinator's list: those of their practice that reached the
    coordinator and are not closed, oldest first (the longest waiting at the top). Private ones
    of episodes in the coordinator's own care are left out: they are never shown to the current
    therapist, whatever else that therapist is."""
    practice_id = user.practice_id
    if practice_id is None or not access.is_fit_check_coordinator(
        user, practice_id, coordinators_setting(practice_id)
    ):
        return FitCheck.objects.none()
    listed = FitCheck.objects.filter(
        episode__practice_id=practice_id,
        status__in=[s.value for s in fit_rules.WITH_COORDINATOR],
    )
    own = access.caseload_episodes(user).values("pk")
    private = Q(
        starter__in=[fit_rules.Starter.CLIENT, fit_rules.Starter.GUARDIAN], talk_first=False
    )
    return (
        listed.exclude(private & Q(episode__in=own))
        .select_related("episode__client", "episode__primary_clinician", "requested_by")
        .order_by("sent_to_coordinator_at", "pk")
    )


def awaiting_approval(user: User) -> QuerySet[FitCheck]:
    """Therapists' requests waiting for this supervisor (those of their teams' episodes)."""
    return (
        FitCheck.objects.filter(
            episode__in=access.team_episodes(user).values("pk"),
            status=fit_rules.Status.AWAITING_APPROVAL,
        )
        .exclude(requested_by=user)
        .select_related("episode__client", "requested_by")
        .order_by("requested_at", "pk")
    )


def therapist_fit_checks(episode: Episode) -> list[FitCheck]:
    """The episode's fit checks its staff see, newest first: all but the private ones, and a
    private one once a new therapist is chosen (the current therapist learns of the change
    then, and of the reason only if the client allowed: the template's rule)."""
    return [
        fit_check
        for fit_check in episode.fit_checks.select_related(
            "requested_by", "decided_by", "chosen_clinician"
        )
        if not fit_check.is_private or fit_check.chosen_clinician_id is not None
    ][:5]


def _pairing_since(episode: Episode) -> datetime | None:
    """When the client and their current therapist began working together, if the episode
    came to that therapist by a transfer (None: from the start)."""
    return (
        episode.transfers.filter(to_clinician_id=episode.primary_clinician_id)
        .order_by("-transferred_at")
        .values_list("transferred_at", flat=True)
        .first()
    )


def _since(at: datetime, since: datetime | None) -> bool:
    return since is None or at >= since


def _low_alliance(
    rows: list[SessionAlliance], settings: AllianceRules, since: datetime | None = None
) -> tuple[list[bool], datetime | None]:
    rated = [
        row for row in rows if row.client is not None and _since(row.session.scheduled_start, since)
    ]
    cutoff = settings.low_total_cutoff
    low = [float(row.client.total or 0) < cutoff for row in rated if row.client is not None]
    latest = rated[-1].session.scheduled_start if rated else None
    return low, latest


def _tracked_measures(
    episode: Episode, since: datetime | None = None
) -> tuple[list[list[fit_rules.TrackedScore]], datetime | None]:
    """Each outcome measure's classified scores, with whether each is reliably better than the
    intake by the measure's own reliable-change rule."""
    families = measure_families(episode.practice_id)
    by_family: dict[str, list[fit_rules.TrackedScore]] = {}
    latest: datetime | None = None
    intakes: dict[str, float | None] = {}
    for status in episode_statuses(episode):
        if not _since(status.at, since):
            continue
        instrument = families.get(status.family)
        if status.family not in intakes:
            first = (
                episode.responses.filter(instrument_id=status.response.instrument_id)
                .order_by("completed_at", "pk")
                .values_list("total", flat=True)
                .first()
            )
            intakes[status.family] = first
        rule = change_rule(instrument, practice_id=episode.practice_id) if instrument else None
        pre, post = intakes[status.family], status.response.total
        better = bool(
            rule and pre is not None and post is not None and rule.is_reliably_better(pre, post)
        )
        by_family.setdefault(status.family, []).append(
            fit_rules.TrackedScore(
                session_number=status.session_number,
                off_track=status.status == TrackStatus.OFF_TRACK,
                reliably_better=better,
            )
        )
        latest = status.at if latest is None or status.at > latest else latest
    return list(by_family.values()), latest


def fit_suggestion(episode: Episode) -> fit_rules.Suggestion | None:
    """Rapport's suggestion of a fit conversation, for the episode's therapist only; None when
    nothing calls for it or the therapist set it aside since the latest session or score."""
    if not episode.is_open:
        return None
    # A fit conversation is about the present pairing: after a transfer, only what happened with
    # the new therapist counts (and nothing a handoff withheld from them is read).
    since = _pairing_since(episode)
    # The episode's feedback and alliance settings are read once for all that follows (the
    # client page asks for this suggestion every time it is opened).
    rows = alliance_by_session(episode)
    settings = rules_settings(episode.practice_id)
    low, alliance_at = _low_alliance(rows, settings, since)
    ruptures = [
        fit_rules.RuptureState(
            repaired=status_of(rupture, rows, settings).state == "repaired",
            repair_attempts=rupture.repair_attempts,
        )
        for rupture in episode.ruptures.select_related("session", "episode").annotate(
            repair_attempts=Count("actions")
        )
        if _since(rupture.opened_at, since)
    ]
    measures, scored_at = _tracked_measures(episode, since)
    found = fit_rules.suggestion(
        alliance_low=low,
        ruptures=ruptures,
        measures=measures,
        settings=FitCheckSettings.for_practice(episode.practice_id).rules(),
    )
    if found is None:
        return None
    dismissed = (
        FitSuggestionDismissal.objects.filter(episode=episode)
        .values_list("dismissed_at", flat=True)
        .first()
    )
    evidence = max((at for at in (alliance_at, scored_at) if at is not None), default=None)
    if dismissed is not None and (evidence is None or evidence <= dismissed):
        return None
    return found


# --- Candidates (issue 14, part 5) ---------------------------------------------------------------

# A client's population in a therapist profile's words, by age band.
POPULATION_OF_AGE_BAND = {
    AgeBand.CHILD: TherapistProfile.Population.CHILDREN,
    AgeBand.ADOLESCENT: TherapistProfile.Population.ADOLESCENTS,
    AgeBand.ADULT: TherapistProfile.Population.ADULTS,
}
EFFECTIVENESS_CACHE_SECONDS = 24 * 60 * 60


def practice_profiles(practice_id: int) -> QuerySet[TherapistProfile]:
    """The profiles of the practice's active clinicians and supervisors."""
    return (
        TherapistProfile.objects.filter(
            practice_id=practice_id,
            user__practice_id=practice_id,
            user__is_active=True,
            user__role__in=CLINICAL_STAFF_ROLES,
        )
        .select_related("user")
        .order_by("user__full_name", "pk")
    )


def therapist_of(profile: TherapistProfile) -> cand.Therapist:
    """A profile as the ranking reads it: the self-described characteristics only with the
    therapist's consent to show them."""
    shared = profile.share_characteristics
    characteristics = {
        name: str(getattr(profile, name))
        for name in cand.CHARACTERISTICS
        if shared and getattr(profile, name)
    }
    return cand.Therapist(
        key=profile.user_id,
        name=profile.user.full_name,
        capacity=profile.capacity,
        languages=tuple(profile.languages),
        approaches=tuple(profile.approaches),
        populations=tuple(profile.populations),
        modalities=tuple(profile.modalities),
        days=tuple(profile.days),
        characteristics=characteristics,
        directive=profile.directive,
        challenge=profile.challenge,
    )


def _outcome_instruments(practice_id: int) -> dict[str, Instrument]:
    """Client-answered outcome instruments by id: the registry's answer to which measures are
    outcomes. Each family is an outcome domain of the effectiveness model."""
    return {i.id: i for found in outcome_families(practice_id).values() for i in found}


def _effectiveness_rows(
    practice_id: int, instruments: dict[str, Instrument]
) -> list[tuple[int, str, float, float]]:
    """(therapist, domain, first, last) of each closed episode and outcome family with two
    scores or more; the therapist is the episode's primary clinician at its close."""
    rows = (
        Response.objects.filter(
            episode__practice_id=practice_id,
            episode__status=EpisodeStatus.CLOSED,
            respondent="client",
            instrument_id__in=list(instruments),
            total__isnull=False,
        )
        .order_by("episode_id", "instrument_id", "completed_at", "pk")
        .values_list("episode_id", "episode__primary_clinician_id", "instrument_id", "total")
    )
    found: dict[tuple[int, str], list[Any]] = {}
    for episode_id, clinician_id, instrument_id, total in rows.iterator(chunk_size=5000):
        family = instruments[instrument_id].family
        key = (episode_id, family)
        if key in found:
            found[key][3] = float(total or 0)
            found[key][4] += 1
        else:
            found[key] = [clinician_id, family, float(total or 0), float(total or 0), 1]
    return [(c, f, pre, post) for c, f, pre, post, n in found.values() if n >= 2]


def practice_effectiveness(
    practice_id: int, *, today: date | None = None
) -> EffectivenessResult | None:
    """The practice's effectiveness model on its closed episodes (core.matching), cached for
    the day and until another episode closes; None when there is too little data to fit."""
    day = today or timezone.localdate()
    closed = Episode.objects.filter(practice_id=practice_id, status=EpisodeStatus.CLOSED).count()
    key = f"matching:effectiveness:{practice_id}:{day.isoformat()}:{closed}"
    cached = cache.get(key)
    if cached is not None:
        return cached if isinstance(cached, EffectivenessResult) else None
    instruments = _outcome_instruments(practice_id)
    rows = _effectiveness_rows(practice_id, instruments)
    directions = {i.family: i.direction for i in instruments.values()}
    result: EffectivenessResult | None = None
    if rows:
        therapist, domain, pre, post = zip(*rows, strict=True)
        try:
            result = fit_effectiveness(
                [str(t) for t in therapist],
                list(domain),
                list(pre),
                list(post),
                direction={d: directions[d] for d in set(domain)},
            )
        except ValueError:
            result = None  # too few episodes or therapists, or scores that do not vary
    cache.set(key, result if result is not None else "none", EFFECTIVENESS_CACHE_SECONDS)
    return result


def client_domain_scores(episode: Episode) -> list[cand.DomainScore]:
    """The client's latest score in each outcome domain of the episode, with its cut-off."""
    instruments = _outcome_instruments(episode.practice_id)
    latest: dict[str, cand.DomainScore] = {}
    responses = (
        episode.responses.filter(
            respondent="client", instrument_id__in=list(instruments), total__isnull=False
        )
        .order_by("completed_at", "pk")
        .values_list("instrument_id", "total")
    )
    for instrument_id, total in responses:
        instrument = instruments[instrument_id]
        if instrument.cutoff is None:
            continue
        low, high = instrument.score_range
        latest[instrument.family] = cand.DomainScore(
            domain=instrument.family,
            score=float(total or 0),
            cutoff=float(instrument.cutoff),
            direction=Direction(instrument.direction),
            low=low,
            high=high,
        )
    return list(latest.values())


def _preferences(client: Client) -> list[cand.Preference]:
    return [
        cand.Preference(kind=cand.Kind(p.kind), value=p.value, must=p.strength == "must")
        for p in client.therapist_preferences.exclude(strength="no_matter")
    ]


def fit_check_candidates(fit_check: FitCheck, *, today: date | None = None) -> cand.Ranking:
    """The practice's therapists ranked for the fit check's client (rapport.core.candidates).

    Capacity is the therapist's own count of open places on their profile ("how many new
    clients you can take now"), not places minus open episodes: caseloads differ in what a
    place means (weekly adults, fortnightly families), and the therapist knows theirs."""
    episode = fit_check.episode
    client = episode.client
    result = practice_effectiveness(episode.practice_id, today=today)
    evidence: dict[int, dict[str, cand.Evidence]] = {}
    if result is not None:
        for effect in result.effects:
            evidence.setdefault(int(effect.therapist), {})[effect.domain] = cand.Evidence(
                label=effect.label,
                n=effect.n,
                estimate=effect.estimate,
                lower=effect.lower,
                upper=effect.upper,
            )
    if result is None:
        preferences_only, why = True, NO_OUTCOME_DATA
    else:
        preferences_only, why = result.preferences_only, result.reason
    return cand.rank(
        therapists=[therapist_of(p) for p in practice_profiles(episode.practice_id)],
        population=POPULATION_OF_AGE_BAND[client.age_band()].value,
        preferences=_preferences(client),
        current=episode.primary_clinician_id,
        elevated=cand.elevated_domains(client_domain_scores(episode)),
        evidence=evidence,
        preferences_only=preferences_only,
        why_preferences_only=why,
        domain_words=DOMAIN_NAMES_ENGLISH,
    )


def offer_rows(ranking: cand.Ranking) -> list[dict[str, Any]]:
    """What the client is shown of the candidates offered: no numbers, no caution."""
    return [
        {
            "clinician": c.therapist.key,
            "strengths": list(c.strengths),
            "met": [p.kind.value for p in c.met],
        }
        for c in ranking.shown
    ]


def offered_candidates(fit_check: FitCheck) -> list[tuple[User, list[str], list[str]]]:
    """The candidates offered to the client, as offered: (therapist, strengths, kinds met)."""
    users = {u.pk: u for u in User.objects.filter(pk__in=fit_check.offered_ids)}
    return [
        (users[int(row["clinician"])], list(row["strengths"]), list(row["met"]))
        for row in fit_check.offered
        if int(row["clinician"]) in users
    ]


def _has(values: list[str], wanted: str) -> bool:
    want = wanted.strip().casefold()
    return any(want == v.casefold() or want in v.casefold().split() for v in values)


def directory(practice_id: int, filters: dict[str, Any]) -> list[TherapistProfile]:
    """The practice's therapist profiles matching the directory's filters. A characteristic
    filter keeps only therapists who consented to show theirs and match it."""
    found = []
    for profile in practice_profiles(practice_id):
        if filters.get("language") and not _has(profile.languages, filters["language"]):
            continue
        if filters.get("approach") and not _has(profile.approaches, filters["approach"]):
            continue
        if filters.get("population") and filters["population"] not in profile.populations:
            continue
        if filters.get("modality") and filters["modality"] not in profile.modalities:
            continue
        if filters.get("day") and filters["day"] not in profile.days:
            continue
        if filters.get("open_places") and profile.capacity <= 0:
            continue
        shown = profile.share_characteristics
        if any(
            filters.get(name) and not (shown and _has([getattr(profile, name)], filters[name]))
            for name in cand.CHARACTERISTICS
        ):
            continue
        found.append(profile)
    return found
