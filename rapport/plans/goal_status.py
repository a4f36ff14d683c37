"""Each goal's data (scores, ratings, counts) and its benchmark status, from core.benchmarks."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from rapport.care.models import Episode
from rapport.consent import viewer_shared
from rapport.core import benchmarks as rules
from rapport.core.instruments import Instrument
from rapport.core.reliable import ReliableChangeRule
from rapport.measures.models import Response
from rapport.measures.registry import instruments_for, outcome_families
from rapport.measures.reliable import change_rule
from rapport.plans.models import BehaviourCount, GoalRating, PlanGoal

# Said in the reader's language when shown (the properties below), so kept untranslated here.
STATUS_WORDS = {
    "met": gettext_noop("Met"),
    "not_yet": gettext_noop("Not yet"),
    "at_risk": gettext_noop("At risk"),
    "cannot_judge": gettext_noop("Cannot be judged"),
    "no_data": gettext_noop("No data yet"),
}
TREND_WORDS = {
    "better": gettext_noop("getting better"),
    "steady": gettext_noop("steady"),
    "worse": gettext_noop("going the wrong way"),
}
WITHHELD_WORDS = gettext_noop("Shared between the young person and their therapist")


@dataclass(frozen=True)
class GoalProgress:
    goal: PlanGoal
    progress: rules.Progress
    values: list[float]
    unit: str  # "PHQ-9", "out of 10", "times"
    target_words: str  # "below 10 on the PHQ-9", "at least 7 out of 10", ...
    withheld: bool = False

    @property
    def status_words(self) -> str:
        if self.withheld:
            return _(WITHHELD_WORDS)
        return _(STATUS_WORDS[self.progress.status.value])

    def without_data(self) -> GoalProgress:
        """The goal without its data: for a guardian the young person's answers are not
        shared with (a status like "met" would give the score away as surely as the number)."""
        hidden = rules.Progress(rules.Status.NO_DATA, None, rules.Trend.UNKNOWN, WITHHELD_WORDS)
        return GoalProgress(self.goal, hidden, [], self.unit, self.target_words, withheld=True)

    @property
    def trend_words(self) -> str:
        words = TREND_WORDS.get(self.progress.trend.value, "")
        return _(words) if words else ""

    @property
    def current_words(self) -> str:
        """The latest value with its unit, in plain words ("8 on the PHQ-9", "6 out of 10")."""
        value = self.progress.current
        if value is None:
            return ""
        shown = _number(value)
        if self.goal.benchmark == "rating":
            return _("%(value)s out of 10") % {"value": shown}
        if self.goal.benchmark == "count":
            return ngettext("%(value)s time", "%(value)s times", _plural(value)) % {"value": shown}
        return _("%(value)s on the %(measure)s") % {"value": shown, "measure": self.unit}

    @property
    def is_met(self) -> bool:
        return self.progress.status is rules.Status.MET


def measure_families(practice_id: int | None) -> dict[str, Instrument]:
    """Client-answered outcome measures by family, for linking problems and goals."""
    return {family: found[0] for family, found in outcome_families(practice_id).items()}


def family_choices(practice_id: int | None) -> list[tuple[str, str]]:
    return sorted(
        ((family, i.short_title) for family, i in measure_families(practice_id).items()),
        key=lambda pair: pair[1],
    )


def _family_ids(practice_id: int | None, family: str) -> list[str]:
    return [
        i.id
        for i in instruments_for(practice_id)
        if i.family == family and i.respondent == "client"
    ]


def _measure_series(episode: Episode, goal: PlanGoal) -> list[rules.Observation]:
    # What a handoff's consent withholds from the reader is left out (rapport.consent).
    responses = (
        viewer_shared(Response.objects.all(), episode.client_id)
        .filter(
            episode=episode,
            respondent="client",
            instrument_id__in=_family_ids(episode.practice_id, goal.family),
        )
        .order_by("completed_at")
    )
    zone = episode.practice.zone
    observations = []
    for response in responses:
        value = response.subscales.get(goal.subscale) if goal.subscale else response.total
        if value is not None:
            local = timezone.localdate(response.completed_at, zone)
            observations.append(rules.Observation(local, float(value)))
    return observations


def _by_key(model: type[GoalRating] | type[BehaviourCount], episode: Episode, field: str):  # type: ignore[no-untyped-def]
    series: dict[uuid.UUID, list[rules.Observation]] = defaultdict(list)
    zone = episode.practice.zone
    rows = viewer_shared(model.objects.all(), episode.client_id)
    for key, value, at in rows.filter(episode=episode).values_list(
        "goal_key", field, "recorded_at"
    ):
        series[key].append(rules.Observation(timezone.localdate(at, zone), float(value)))
    return series


def _number(value: float) -> str:
    """As the reader writes numbers: 7.5 in English, 7,5 in Spanish; whole numbers bare."""
    return number_format(value, decimal_pos=None if value != int(value) else 0)


def _plural(value: float) -> int:
    """The count that picks the plural form: "1 time", never "1 times"."""
    return 1 if value == 1 else 2


def _target(goal: PlanGoal, unit: str, lower: bool, instrument: Instrument | None = None) -> str:
    """In the reader's language, whole phrases for the translator ("below 10 on the PHQ-9")."""
    if goal.benchmark == "reliable_improvement":
        return _("a reliable improvement on the %(measure)s") % {"measure": unit}
    words = {"target": _number(goal.target or 0), "measure": unit}
    if goal.benchmark == "measure_target":
        if goal.subscale:
            words["scale"] = (
                instrument.subscale_title(goal.subscale) if instrument else goal.subscale
            )
            if lower:
                return _("below %(target)s on the %(measure)s %(scale)s scale") % words
            return _("at least %(target)s on the %(measure)s %(scale)s scale") % words
        if lower:
            return _("below %(target)s on the %(measure)s") % words
        return _("at least %(target)s on the %(measure)s") % words
    if goal.benchmark == "rating":
        if lower:
            return _("at most %(target)s out of 10") % words
        return _("at least %(target)s out of 10") % words
    n = _plural(goal.target or 0)
    if lower:
        return ngettext("at most %(target)s time", "at most %(target)s times", n) % words
    return ngettext("at least %(target)s time", "at least %(target)s times", n) % words


def goal_target_words(goal: PlanGoal, families: dict[str, Instrument]) -> str:
    """What the goal aims for, in words: "below 10 on the PHQ-9", "at least 7 out of 10"."""
    if goal.benchmark in ("measure_target", "reliable_improvement"):
        instrument = families.get(goal.family)
        unit = instrument.short_title if instrument else "measure"
        lower = instrument is None or instrument.direction == "lower"
        return _target(goal, unit, lower, instrument)
    if goal.benchmark == "rating":
        return _target(goal, "out of 10", False)
    return _target(goal, "times", goal.count_direction == "at_most")


def goals_progress(
    episode: Episode,
    goals: list[PlanGoal],
    *,
    today: date | None = None,
    withhold: bool = False,
) -> list[GoalProgress]:
    """Every goal of a version with its current value, trend and benchmark status.

    `today` is the practice's calendar day unless given: target dates are its dates, whoever
    asks and from wherever. `withhold` leaves every goal's data out (see GoalProgress.without_data).
    """
    today = today or timezone.localdate(timezone.now(), episode.practice.zone)
    ratings = _by_key(GoalRating, episode, "value")
    counts = _by_key(BehaviourCount, episode, "count")
    families = measure_families(episode.practice_id)
    rules_of: dict[str, ReliableChangeRule | None] = {}
    result = []
    for goal in goals:
        target_date = goal.target_date
        if goal.benchmark in ("measure_target", "reliable_improvement"):
            instrument = families.get(goal.family)
            observations = _measure_series(episode, goal)
            lower = instrument is None or instrument.direction == "lower"
            low, high = instrument.score_range if instrument else (0.0, 10.0)
            steady = max(1.0, 0.05 * (high - low))
            unit = instrument.short_title if instrument else goal.family
            if goal.benchmark == "reliable_improvement":
                if instrument is not None and goal.family not in rules_of:
                    rules_of[goal.family] = change_rule(instrument, practice_id=episode.practice_id)
                progress = rules.reliable_improvement_progress(
                    observations,
                    lower_is_better=lower,
                    rule=rules_of.get(goal.family),
                    target_date=target_date,
                    today=today,
                    steady_within=steady,
                )
            else:
                comparison = rules.Comparison.BELOW if lower else rules.Comparison.AT_LEAST
                progress = rules.target_progress(
                    observations,
                    target=float(goal.target or 0),
                    comparison=comparison,
                    target_date=target_date,
                    today=today,
                    steady_within=steady,
                )
        else:
            is_rating = goal.benchmark == "rating"
            observations = (ratings if is_rating else counts).get(goal.key, [])
            comparison = (
                rules.Comparison.AT_MOST
                if not is_rating and goal.count_direction == "at_most"
                else rules.Comparison.AT_LEAST
            )
            progress = rules.target_progress(
                observations,
                target=float(goal.target or 0),
                comparison=comparison,
                target_date=target_date,
                today=today,
            )
            unit = "out of 10" if is_rating else "times"
            lower = comparison is rules.Comparison.AT_MOST
        item = GoalProgress(
            goal,
            progress,
            [o.value for o in observations],
            unit,
            _target(goal, unit, lower, families.get(goal.family)),
        )
        result.append(item.without_data() if withhold else item)
    return result
