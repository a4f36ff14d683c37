"""What the candidates' pages say about a therapist's measured strengths, in plain words.

A strength is said as what the therapist has done for people ("has helped many people with low
mood"), never as a number, a rank or a promise; a caution is never shown to a client, and to
staff only to supervisors, as "less evidence of benefit here". Demographic similarity is never
presented as an outcome advantage: it helps people feel at ease and stay in therapy."""

from __future__ import annotations

from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from rapport.core import candidates as cand
from rapport.core.candidates import REASON_PHRASES
from rapport.core.matching import Label
from rapport.core.text import said_again
from rapport.figures import figure_said
from rapport.matching.models import ClientPreference, TherapistProfile

# Per outcome domain (an outcome measure's family, rapport.measures.registry.outcome_families).
STRENGTH_BADGES: dict[str, Any] = {
    "phq9": _("Has helped many people with low mood"),
    "gad7": _("Has helped many people with anxiety"),
    "checkin": _("Has helped many people feel better in everyday life"),
}
OTHER_STRENGTH = _("Has helped many people with difficulties like these")
CAUTION_WORDS = _("less evidence of benefit here")


def strength_badge(domain: str) -> Any:
    return STRENGTH_BADGES.get(domain, OTHER_STRENGTH)


def strength_badges(domains: list[str] | tuple[str, ...]) -> list[Any]:
    return [strength_badge(d) for d in domains]


# Staff pages name an outcome domain by what it measures and the measure's name; the ranking
# (pure, in English) names it in English and `ranking_said` says it again.
DOMAIN_NAMES_ENGLISH = {
    "phq9": gettext_noop("low mood (PHQ-9)"),
    "gad7": gettext_noop("anxiety (GAD-7)"),
    "checkin": gettext_noop("everyday life (check-in)"),
}
DOMAIN_NAMES: dict[str, Any] = {key: _(words) for key, words in DOMAIN_NAMES_ENGLISH.items()}

# Why the practice's outcome data rank nobody (rapport.matching.queries).
NO_OUTCOME_DATA = gettext_noop("the practice has too few closed episodes with scores")
LABEL_WORDS = {
    Label.STRENGTH: _("strength"),
    Label.CAUTION: _("caution"),
    Label.NO_EVIDENCE: _("no evidence"),
}


def domain_name(domain: str) -> str:
    return str(DOMAIN_NAMES.get(domain, domain))


def ranking_said(words: str) -> str:
    """A reason the ranking of candidates gives, in English, in the reader's language."""
    phrases = (*REASON_PHRASES, NO_OUTCOME_DATA, *DOMAIN_NAMES_ENGLISH.values())
    return said_again(words, phrases, gettext, ngettext, figure_said)


def signed(value: float) -> str:
    """An estimate with its sign and two decimals, "+0.35", in the reader's number format."""
    shown = round(value, 2) + 0.0  # never "-0.00"
    said = number_format(shown, 2)
    return said if shown < 0 else f"+{said}"


def nobody_said(ranking: cand.Ranking) -> str:
    """Why no therapist can be offered, in the reader's language: the population and each
    must's kind in the page's words, the must's value as the client's preference has it."""
    if not ranking.nobody_phrase:
        return ranking.nobody
    choices = dict(TherapistProfile.Population.choices)
    population = str(choices.get(ranking.nobody_population, ranking.nobody_population)).lower()
    one = cand.A_MUST if ranking.nobody_phrase == cand.NOBODY_MEETS else cand.A_WISH
    musts = "; ".join(
        gettext(one)
        % {"kind": str(ClientPreference.Kind(p.kind.value).label).lower(), "value": p.value}
        for p in ranking.nobody_musts
    )
    return gettext(ranking.nobody_phrase) % {"population": population, "musts": musts}
