"""Reads of measures: scores over time per measure (for the client page and the portal), the
default measures, who answers a plan and on which version, and what a link from home opens."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from rapport.accounts.models import User
from rapport.care.models import Episode, Session
from rapport.consent import consented, viewer_shared
from rapport.core.completion import MISSED_IN_A_ROW, stopped_answering
from rapport.core.instruments import Instrument
from rapport.core.reliable import CATEGORY_LABELS, ReliableChangeRule
from rapport.core.tokens import hash_token
from rapport.measures.availability import assignment_available, not_yet_reason
from rapport.measures.defaults import BUILTIN_DEFAULTS, DefaultEntry
from rapport.measures.models import (
    AccessLink,
    Assignment,
    DefaultMeasurePlan,
    LinkAttempt,
    MeasurePlan,
    Response,
)
from rapport.measures.registry import choose_version, get_instrument, instruments_for
from rapport.measures.reliable import change_rule, change_size_words, rule_explained, rule_name

# In plain words for the portal, said in the reader's language when read (category_words).
CATEGORY_WORDS = {
    "recovered": gettext_noop("reliably better, and now in the healthy range"),
    "improved": gettext_noop("reliably better"),
    "unchanged": gettext_noop("no reliable change yet"),
    "deteriorated": gettext_noop("reliably worse"),
    "harmed": gettext_noop("reliably worse, and now in the clinical range"),
}


@dataclass(frozen=True)
class ScoreRow:
    response: Response
    total: float | None
    band: str
    change: float | None  # since the first score in the episode
    category: str | None

    @property
    def category_label(self) -> str:
        """ "reliable improvement", for staff tables (the rule is stated with the table)."""
        label = CATEGORY_LABELS.get(self.category or "", "")
        return gettext(label) if label else ""


@dataclass
class MeasureHistory:
    instrument: Instrument
    respondent: str
    rows: list[ScoreRow] = field(default_factory=list)
    # The instrument's one reliable-change rule (None: change is not judged).
    rule: ReliableChangeRule | None = None

    @property
    def latest(self) -> ScoreRow | None:
        return self.rows[-1] if self.rows else None

    @property
    def category_words(self) -> str:
        latest = self.latest
        words = CATEGORY_WORDS.get(latest.category or "", "") if latest else ""
        return gettext(words) if words else ""

    @property
    def category_explained(self) -> str:
        """The latest category with the rule behind it, for staff:
        "reliable improvement (NHS Talking Therapies criterion: a fall of 6 or more points)"."""
        latest = self.latest
        if latest is None or latest.category is None or self.rule is None:
            return ""
        return rule_explained(self.rule, latest.category)

    @property
    def rule_words(self) -> dict[str, str]:
        """The rule in the reader's language: its name, and the sizes of a reliable
        improvement and deterioration ("a fall of 6 or more points")."""
        if self.rule is None:
            return {}
        return {
            "name": rule_name(self.rule.name),
            "improvement": change_size_words(self.rule, better=True),
            "deterioration": change_size_words(self.rule, better=False),
        }

    @property
    def first_at(self) -> datetime | None:
        return self.rows[0].response.completed_at if self.rows else None


def score_histories(
    episode: Episode,
    *,
    respondents: tuple[str, ...] = ("client", "guardian", "therapist"),
    kinds: tuple[str, ...] = ("outcome", "goal"),
) -> list[MeasureHistory]:
    """Each scored measure's totals in order, with change since the first and its category."""
    # What a handoff's consent withholds from the reader is left out (rapport.access).
    responses = (
        viewer_shared(Response.objects.all(), episode.client_id)
        .filter(episode=episode, respondent__in=respondents, total__isnull=False)
        .select_related("assignment__respondent_user")
        .order_by("completed_at")
    )
    histories: dict[tuple[str, str], MeasureHistory] = {}
    for response in responses:
        key = (response.instrument_id, response.assignment.respondent_key)
        if key not in histories:
            instrument = get_instrument(response.instrument_id, practice_id=episode.practice_id)
            rule = (
                change_rule(instrument, practice_id=episode.practice_id)
                if instrument.is_outcome
                else None
            )
            histories[key] = MeasureHistory(instrument, response.respondent, rule=rule)
        history = histories[key]
        first = history.rows[0].total if history.rows else None
        category = None
        if first is not None and response.total is not None and history.rule is not None:
            category = history.rule.category(first, response.total)
        history.rows.append(
            ScoreRow(
                response=response,
                total=response.total,
                band=response.band,
                change=None if first is None or response.total is None else response.total - first,
                category=category,
            )
        )
    wanted = [h for h in histories.values() if h.instrument.kind in kinds]
    return sorted(wanted, key=lambda h: (not h.instrument.is_outcome, h.instrument.title))


def default_measures(practice_id: int, age_band: str) -> list[DefaultEntry]:
    """The measures a new client in this age band starts with: the practice's, else Rapport's."""
    stored = DefaultMeasurePlan.objects.filter(practice_id=practice_id, age_band=age_band).first()
    if stored is None:
        return list(BUILTIN_DEFAULTS.get(age_band, ()))
    return [
        DefaultEntry(m["family"], m["respondent"], m["schedule"], int(m.get("every_n", 1)))
        for m in stored.measures
    ]


RESPONDENT_WORDS = {
    "client": "the client",
    "guardian": "a parent or guardian",
    "therapist": "the therapist",
}


def default_measure_options(practice_id: int) -> dict[str, list[tuple[str, str, str]]]:
    """For each age band, the (family, respondent, label) pairs a new client could start with.

    Goal ratings are left out: they follow the goals of a plan, which a new client does not have.
    """
    titles: dict[str, str] = {}
    pairs: dict[str, set[tuple[str, str]]] = {band: set() for band in BUILTIN_DEFAULTS}
    for instrument in instruments_for(practice_id):
        if instrument.kind == "goal":
            continue
        if instrument.family not in titles or instrument.respondent == "client":
            titles[instrument.family] = instrument.short_title
        for band in instrument.age_bands:
            pairs.setdefault(band, set()).add((instrument.family, instrument.respondent))
    order = {"client": 0, "guardian": 1, "therapist": 2}
    return {
        band: [
            (family, respondent, f"{titles[family]}, answered by {RESPONDENT_WORDS[respondent]}")
            for family, respondent in sorted(
                found, key=lambda pair: (titles[pair[0]].lower(), order.get(pair[1], 3))
            )
        ]
        for band, found in pairs.items()
    }


@dataclass(frozen=True)
class SubscaleScore:
    """One subscale of a response in words: "Separation anxiety 6 (cut-off 5)"."""

    title: str
    value: str
    cutoff: str  # "" where none is published
    at_or_above: bool

    def __str__(self) -> str:
        if not self.cutoff:
            return f"{self.title} {self.value}"
        # Said when shown, in the reader's language.
        words = {"title": self.title, "value": self.value, "cutoff": self.cutoff}
        if self.at_or_above:
            return gettext("%(title)s %(value)s (at or above the cut-off of %(cutoff)s)") % words
        return gettext("%(title)s %(value)s (below the cut-off of %(cutoff)s)") % words


def subscale_scores(instrument: Instrument, subscales: dict[str, Any]) -> list[SubscaleScore]:
    """A response's subscales in the order the definition lists them, with their cut-offs."""
    found = []
    for name in instrument.subscales:
        value = subscales.get(name)
        if value is None:
            continue
        cutoff = instrument.subscale_cutoff(name)
        found.append(
            SubscaleScore(
                title=instrument.subscale_title(name),
                value=f"{value:g}",
                cutoff="" if cutoff is None else f"{cutoff:g}",
                at_or_above=cutoff is not None and value >= cutoff,
            )
        )
    return found


@dataclass(frozen=True)
class SubscaleRow:
    session: str
    at: datetime
    who: str
    scores: list[SubscaleScore]


def subscale_rows(instrument: Instrument, series: Iterable[Any]) -> list[SubscaleRow]:
    """Each scored response of a progress series with its subscales (none without subscales).

    `series` are progress series: a label and points carrying x (the session), at and
    response_id.
    """
    if not instrument.subscales:
        return []
    series = list(series)
    ids = [point.response_id for s in series for point in s.points]
    stored = dict(Response.objects.filter(pk__in=ids).values_list("pk", "subscales"))
    rows = [
        SubscaleRow(
            session=f"{point.x:g}",
            at=point.at,
            who=s.label,
            scores=subscale_scores(instrument, stored.get(point.response_id) or {}),
        )
        for s in series
        for point in s.points
    ]
    return sorted(rows, key=lambda row: (row.at, row.who))


# --- Who answers, on which version ------------------------------------------------------------


def instrument_for(episode: Episode, *, family: str, respondent: str) -> Instrument:
    client = episode.client
    try:
        return choose_version(
            family,
            respondent=respondent,
            age_band=str(client.age_band()),
            practice_id=episode.practice_id,
        )
    except LookupError as error:
        raise ValidationError(str(error)) from error


@dataclass(frozen=True)
class Person:
    key: str
    respondent: str
    user: User | None


def people_for(plan: MeasurePlan, session: Session | None) -> list[Person]:
    episode = plan.episode
    if plan.respondent == "client":
        return [Person("client", "client", episode.client.user)]
    if plan.respondent == "guardian":
        links = episode.client.guardian_links.filter(is_active=True).select_related("guardian")
        return [Person(f"guardian:{link.guardian_id}", "guardian", link.guardian) for link in links]
    clinician = session.clinician if session else episode.primary_clinician
    return [Person(f"therapist:{clinician.pk}", "therapist", clinician)]


# --- What a link from home opens -------------------------------------------------------------


class LinkUnusable(Exception):
    """A link that does not (or no longer) open anything; the message is safe to show.

    The message is translated when it is shown, in the language of the person the link was
    made for (`link`, None when the token opens nothing): see measures.views.link_form."""

    def __init__(
        self, message: object, *, completed: bool = False, link: AccessLink | None = None
    ) -> None:
        super().__init__(message)
        self.completed = completed
        self.link = link
        self.throttled = (
            False  # the address had failed too often already (see measures.link_opening)
        )


LINK_ATTEMPT_WINDOW = timedelta(minutes=10)
# Failed link openings (unknown, used, replaced or expired tokens) per address and window.
# Only failures count: a person filling in several forms autosaves many times, and a family
# behind one router must not lose a submission because someone there mistyped a link.
LINK_MAX_FAILURES = 10


def link_rate_limited(ip_address: str, *, now: datetime | None = None) -> bool:
    """Whether an address has failed to open links too often lately (token guessing)."""
    since = (now or timezone.now()) - LINK_ATTEMPT_WINDOW
    failures = LinkAttempt.objects.filter(ip_address=ip_address, at__gte=since, valid=False)
    return failures.count() >= LINK_MAX_FAILURES


def _link_check(link: AccessLink | None, *, now: datetime) -> None:
    if link is None:
        raise LinkUnusable(
            gettext_lazy("This link is not valid. Please use the most recent link you were sent.")
        )
    if link.used_at is not None or not link.assignment.is_open:
        raise LinkUnusable(
            gettext_lazy("This form has already been completed. Thank you!"),
            completed=True,
            link=link,
        )
    if link.revoked_at is not None:
        raise LinkUnusable(
            gettext_lazy("This link was replaced by a newer one. Please use your latest email."),
            link=link,
        )
    if link.expires_at <= now:
        raise LinkUnusable(
            gettext_lazy("This link has expired. Please ask your therapist for a new one."),
            link=link,
        )
    if not respondent_still_linked(link.assignment):
        raise LinkUnusable(gettext_lazy("This link is no longer active."), link=link)
    if not assignment_available(link.assignment, now=now):
        # Told when shown: its date and day name in the reader's language.
        raise LinkUnusable(lazy(not_yet_reason, str)(link.assignment), link=link)


def link_opened(token: str, *, now: datetime) -> AccessLink:
    """The link a token opens, or LinkUnusable with a reason that reveals nothing clinical."""
    link = (
        # With whoever answers through it (link_respondent), in the same query.
        AccessLink.objects.select_related(
            "assignment__episode__client__user",
            "assignment__episode__practice",
            "assignment__respondent_user",
            "assignment__session",
            "assignment__plan",
        )
        .filter(token_hash=hash_token(token))
        .first()
    )
    _link_check(link, now=now)
    assert link is not None
    return link


def link_respondent(assignment: Assignment) -> User | None:
    """Who answers through an assignment's link: the client or the guardian it was made for."""
    if assignment.respondent == "client":
        return assignment.episode.client.user
    return assignment.respondent_user


def respondent_still_linked(assignment: Assignment) -> bool:
    """A guardian answers only while their link to the young person is active."""
    if assignment.respondent != "guardian":
        return True
    return assignment.episode.client.guardian_links.filter(
        guardian_id=assignment.respondent_user_id, is_active=True
    ).exists()


def stopped_answering_episodes(
    episode_ids: list[int], *, now: datetime, viewer: User | None = None
) -> set[int]:
    """Of these episodes, those whose client let their last MISSED_IN_A_ROW forms expire: one
    query over the forms with an outcome (those `viewer` may see: a handoff's consent may
    withhold the forms of the time before it)."""
    outcomes: dict[int, list[str]] = defaultdict(list)
    forms = Assignment.objects.filter(
        episode_id__in=episode_ids,
        respondent="client",
        status__in=(Assignment.Status.COMPLETED, Assignment.Status.EXPIRED),
        due_at__lte=now,
    )
    rows = (
        (consented(viewer, forms) if viewer is not None else forms)
        .order_by("episode_id", "-due_at", "-pk")
        .values_list("episode_id", "status")
    )
    for episode_id, status in rows:
        if len(outcomes[episode_id]) < MISSED_IN_A_ROW:
            outcomes[episode_id].append(status)
    return {pk for pk, found in outcomes.items() if stopped_answering(found)}
