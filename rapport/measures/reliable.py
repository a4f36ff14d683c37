"""The one reliable-change rule per instrument and practice, for every page, alert and figure.

The client page, the expected-trajectory alerts, plan goals and the practice dashboard all take
their rule from `change_rule`, so they cannot disagree about the same client. The rule itself and
its arithmetic are in rapport.core.reliable.
"""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_noop

from rapport.core.instruments import Instrument
from rapport.core.reliable import ReliableChangeRule, rule_for
from rapport.trajectories.models import ExpectedTrajectory


def practice_estimates(practice_id: int, family: str) -> tuple[float | None, float | None]:
    """(SD, reliability) the practice's expected trajectory of this measure was fitted with:
    the published figures where the instrument has them, else the practice's own estimates."""
    found = (
        ExpectedTrajectory.objects.filter(practice_id=practice_id, family=family)
        .values_list("sd", "reliability")
        .first()
    )
    return found if found is not None else (None, None)


def change_rule(
    instrument: Instrument,
    *,
    practice_id: int | None,
    sd: float | None = None,
    reliability: float | None = None,
) -> ReliableChangeRule | None:
    """The instrument's published criterion, else Jacobson–Truax from its published figures,
    else from the practice's own estimates (given, or as its expected trajectory stores them)."""
    published = rule_for(instrument)
    if published is not None:
        return published
    if sd is None and reliability is None and practice_id is not None:
        sd, reliability = practice_estimates(practice_id, instrument.family)
    return rule_for(instrument, sd=sd, reliability=reliability)


# --- The rule in the reader's words ---------------------------------------------------------------
# rapport.core.reliable words a rule in English, the language of what is stored (an alert's
# reason); a page says the same in its reader's language with these.

# The names of the rules Rapport ships (a practice's own names pass through as written).
RULE_NAMES = (
    gettext_noop("Jacobson–Truax reliable change index"),  # JACOBSON_TRUAX
    gettext_noop("NHS Talking Therapies criterion"),
)


def rule_name(name: str) -> str:
    return gettext(name) if name else name


def change_size_words(rule: ReliableChangeRule, *, better: bool) -> str:
    """ "a fall of 6 or more points", "una bajada de 6 puntos o más"."""
    fall = better == (rule.direction == "lower")
    if rule.inclusive:
        words = (
            gettext("a fall of %(points)s or more points")
            if fall
            else gettext("a rise of %(points)s or more points")
        )
        return words % {"points": f"{rule.points:g}"}
    words = (
        gettext("a fall of more than %(points)s points")
        if fall
        else gettext("a rise of more than %(points)s points")
    )
    return words % {"points": number_format(round(rule.points, 1), 1)}


def rule_explained(rule: ReliableChangeRule, category: str) -> str:
    """ReliableChangeRule.explain in the active language: the category with the rule behind it,
    "reliable improvement (NHS Talking Therapies criterion: a fall of 6 or more points)"."""
    improvement = change_size_words(rule, better=True)
    deterioration = change_size_words(rule, better=False)
    recovered = ""
    if rule.caseness is not None:
        ending = (
            gettext(", ending below the caseness score of %(score)s")
            if rule.direction == "lower"
            else gettext(", ending above the caseness score of %(score)s")
        )
        recovered = ending % {"score": f"{rule.caseness:g}"}
    words = {
        "recovered": (gettext("recovered"), f"{improvement}{recovered}"),
        "improved": (gettext("reliable improvement"), improvement),
        "unchanged": (
            gettext("no reliable change"),
            gettext("needs %(improvement)s for improvement, %(deterioration)s for deterioration")
            % {"improvement": improvement, "deterioration": deterioration},
        ),
        "deteriorated": (gettext("reliable deterioration"), deterioration),
        "harmed": (gettext("reliable deterioration into the clinical range"), deterioration),
    }
    label, because = words[category]
    return f"{label} ({rule_name(rule.name)}: {because})"
