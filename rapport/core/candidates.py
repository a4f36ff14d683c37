"""Candidates for a client who may change therapist (issue 14, part 5): which of the practice's
therapists to offer, in what order, and why. Pure: typed values in, a ranked list with reasons out.

1. Hard filters: open places (capacity > 0), the population the client belongs to, every *must*
   preference (a modality the client must have is one of them), and never the current therapist.
2. Tiers after Constantino et al. (2021), who matched patients to therapists classified per
   outcome domain from their past cases: tier 1 has a *strength* on the client's most elevated
   domain and a *caution* on none of the client's elevated domains; tier 2 has no caution on
   them; tier 3 is the rest. When the practice's model may not be used (too few therapists
   qualify, or the therapist variance is indistinguishable from 0: core.matching), or none of
   the client's scores is past its clinical cut-off, there are no tiers: preferences only, and
   the result says so and why.
3. Then the number of *prefer* preferences met, then open places (more first), then name.

Demographic characteristics (gender, age range, cultural background, faith) count only for
therapists who consented to show them, and only as preferences: similarity helps people feel at
ease and stay, and is never presented as making therapy work better.

Source: Constantino, M. J. et al. (2021), JAMA Psychiatry 78(9), 960–969.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from rapport.core.change import Direction
from rapport.core.matching import NO_VARIANCE, TOO_FEW_THERAPISTS, Label
from rapport.core.text import Phrase, counted, gettext_noop, plural_noop

SHOWN = 3  # candidates offered: enough to choose, few enough to meet each

CHARACTERISTICS = frozenset({"gender", "age_range", "cultural_background", "faith"})
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Kind(StrEnum):
    """A preference's kind: the ClientPreference.Kind values."""

    LANGUAGE = "language"
    APPROACH = "approach"
    MODALITY = "modality"
    DAYS = "days"
    GENDER = "gender"
    AGE_RANGE = "age_range"
    CULTURAL_BACKGROUND = "cultural_background"
    FAITH = "faith"
    DIRECTIVE = "directive"
    CHALLENGE = "challenge"


@dataclass(frozen=True)
class Preference:
    kind: Kind
    value: str
    must: bool


@dataclass(frozen=True)
class Therapist:
    """What a therapist's profile offers; `characteristics` holds only what they consented to
    show (empty otherwise)."""

    key: int
    name: str
    capacity: int
    languages: tuple[str, ...] = ()
    approaches: tuple[str, ...] = ()
    populations: tuple[str, ...] = ()
    modalities: tuple[str, ...] = ()
    days: tuple[str, ...] = ()
    characteristics: Mapping[str, str] = field(default_factory=dict)
    directive: str = ""  # "directive" | "exploratory" | ""
    challenge: str = ""  # "gentle" | "challenging" | ""


@dataclass(frozen=True)
class Evidence:
    """A therapist's measured effect in one domain (core.matching.TherapistEffect, in short)."""

    label: Label
    n: int
    estimate: float
    lower: float
    upper: float


@dataclass(frozen=True)
class DomainScore:
    """The client's latest score in an outcome domain, with the measure's clinical cut-off and
    score range, which make scores on different measures comparable."""

    domain: str
    score: float
    cutoff: float
    direction: Direction
    low: float
    high: float

    @property
    def elevation(self) -> float:
        """How far past the cut-off, as a share of the score range: ≥ 0 is in the clinical
        range."""
        width = self.high - self.low
        past = (self.score - self.cutoff) * (-Direction(self.direction).sign)
        return past / width if width > 0 else 0.0


def elevated_domains(scores: Iterable[DomainScore]) -> tuple[str, ...]:
    """The domains whose latest score is at or past the clinical cut-off, most elevated first."""
    found = [s for s in scores if s.elevation >= 0.0]
    return tuple(s.domain for s in sorted(found, key=lambda s: (-s.elevation, s.domain)))


@dataclass(frozen=True)
class Candidate:
    therapist: Therapist
    tier: int | None  # 1, 2, 3; None when ranking by preferences only
    met: tuple[Preference, ...]  # the client's must and prefer preferences this one meets
    unmet: tuple[Preference, ...]  # the prefer preferences it does not
    strengths: tuple[str, ...]  # the client's elevated domains with a strength
    cautions: tuple[tuple[str, Evidence], ...]  # staff (supervisors) only, never a client
    evidence: tuple[tuple[str, Evidence], ...]  # every elevated domain's, for supervisors
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Ranking:
    candidates: tuple[Candidate, ...]  # every therapist who passed the filters, best first
    elevated: tuple[str, ...]
    preferences_only: bool
    why_preferences_only: str
    # When nobody passes: the must preferences each of which alone leaves no one, and a
    # sentence saying what excluded everyone.
    excluding: tuple[Preference, ...] = ()
    nobody: str = ""
    # The same in parts, for a page to say in its reader's language: the English phrase (one of
    # NOBODY_PHRASES), the population it names and the musts it lists.
    nobody_phrase: str = ""
    nobody_population: str = ""
    nobody_musts: tuple[Preference, ...] = ()

    @property
    def shown(self) -> tuple[Candidate, ...]:
        return self.candidates[:SHOWN]


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _days(text: str) -> set[str]:
    """Days named in free text ("Mon, Thursday", "tue") as Day keys."""
    found = set()
    for word in text.replace(",", " ").replace("/", " ").split():
        key = word.casefold()[:3]
        if key in DAY_KEYS:
            found.add(key)
    return found


def meets(therapist: Therapist, preference: Preference) -> bool:
    """Whether the therapist offers what the preference asks for (an undisclosed
    characteristic is never met: it is not known)."""
    want = _fold(preference.value)
    if not want:
        return True
    kind = preference.kind
    if kind is Kind.LANGUAGE:
        return want in {_fold(v) for v in therapist.languages}
    if kind is Kind.APPROACH:
        return any(want == _fold(v) or want in _fold(v).split() for v in therapist.approaches)
    if kind is Kind.MODALITY:
        return want in {_fold(v) for v in therapist.modalities}
    if kind is Kind.DAYS:
        wanted = _days(preference.value)
        return bool(wanted & set(therapist.days)) if wanted else True
    if kind.value in CHARACTERISTICS:
        shown = _fold(therapist.characteristics.get(kind.value, ""))
        return bool(shown) and (want == shown or want in shown.split())
    if kind is Kind.DIRECTIVE:
        return want == _fold(therapist.directive)
    return want == _fold(therapist.challenge)


def _tier(
    elevated: Sequence[str], evidence: Mapping[str, Evidence]
) -> tuple[int, tuple[str, ...], tuple[tuple[str, Evidence], ...]]:
    strengths = tuple(d for d in elevated if d in evidence and evidence[d].label is Label.STRENGTH)
    cautions = tuple(
        (d, evidence[d]) for d in elevated if d in evidence and evidence[d].label is Label.CAUTION
    )
    if cautions:
        return 3, strengths, cautions
    if elevated[0] in strengths:
        return 1, strengths, cautions
    return 2, strengths, cautions


# What the ranking says of each candidate, in English: a page says it in its reader's language
# (rapport.core.text.said_again with REASON_PHRASES).
TIER_REASONS = {
    1: gettext_noop(
        "Tier 1: a strength in the client's most elevated domain (%(domain)s), and no caution "
        "in any of their elevated domains."
    ),
    2: gettext_noop("Tier 2: no caution in the client's elevated domains."),
    3: gettext_noop("Tier 3: less evidence of benefit in one of the client's elevated domains."),
}
MEETS_PREFERRED = gettext_noop("Meets %(met)s of %(wanted)s preferences marked “prefer”.")
OPEN_PLACES = plural_noop("%(n)s open place.", "%(n)s open places.")
NO_DOMAIN = gettext_noop(
    "none of the client's latest outcome scores is past its clinical cut-off, so no "
    "domain to match on"
)
# Why nobody can be offered, in English (Ranking.nobody); a page says it in its reader's
# language, the musts and the population in its own words.
NOBODY_OPEN = gettext_noop("No other therapist has an open place.")
NOBODY_OPEN_FOR = gettext_noop(
    "No other therapist who works with %(population)s has an open place."
)
NOBODY_MEETS = gettext_noop("No therapist with an open place meets: %(musts)s.")
NOBODY_MEETS_ALL = gettext_noop(
    "Each of the client's musts is met by someone, but no therapist with an open place meets "
    "them all together: %(musts)s."
)
# One must in those lists: its kind and its value, marked as a must when it alone leaves no one.
A_MUST = gettext_noop("%(kind)s “%(value)s” (must)")
A_WISH = gettext_noop("%(kind)s “%(value)s”")
REASON_PHRASES: tuple[Phrase, ...] = (
    *TIER_REASONS.values(),
    MEETS_PREFERRED,
    OPEN_PLACES,
    NO_DOMAIN,
    TOO_FEW_THERAPISTS,
    NO_VARIANCE,
)


def rank(
    *,
    therapists: Iterable[Therapist],
    population: str,
    preferences: Iterable[Preference],
    current: int | None,
    elevated: Sequence[str],
    evidence: Mapping[int, Mapping[str, Evidence]],
    preferences_only: bool,
    why_preferences_only: str = "",
    domain_words: Mapping[str, str] | None = None,
) -> Ranking:
    """Rank the practice's therapists for a client (see the module's notes).

    `evidence` is each therapist's labels by domain from the practice's model;
    `preferences_only` is the model's own verdict (with its reason); `elevated` the client's
    elevated domains, most elevated first (elevated_domains); `domain_words` names domains in
    the reasons."""
    wanted = [p for p in preferences if p.value.strip()]
    musts = [p for p in wanted if p.must]
    prefers = [p for p in wanted if not p.must]
    if not preferences_only and not elevated:
        preferences_only = True
        why_preferences_only = NO_DOMAIN
    open_ones = [
        t
        for t in therapists
        if t.key != current and t.capacity > 0 and (not population or population in t.populations)
    ]
    passed = [t for t in open_ones if all(meets(t, p) for p in musts)]
    if not passed:
        return _nobody(
            open_ones, musts, elevated, preferences_only, why_preferences_only, population
        )
    candidates = []
    for t in passed:
        met_prefer = tuple(p for p in prefers if meets(t, p))
        unmet = tuple(p for p in prefers if not meets(t, p))
        mine = evidence.get(t.key, {})
        reasons = [MEETS_PREFERRED % {"met": len(met_prefer), "wanted": len(prefers)}]
        reasons.append(counted(t.capacity, OPEN_PLACES))
        tier: int | None = None
        strengths: tuple[str, ...] = ()
        cautions: tuple[tuple[str, Evidence], ...] = ()
        if not preferences_only:
            tier, strengths, cautions = _tier(elevated, mine)
            top = (domain_words or {}).get(elevated[0], elevated[0])
            reasons.insert(0, TIER_REASONS[tier] % {"domain": top})
        candidates.append(
            Candidate(
                therapist=t,
                tier=tier,
                met=tuple(musts) + met_prefer,
                unmet=unmet,
                strengths=strengths,
                cautions=cautions,
                evidence=tuple((d, mine[d]) for d in elevated if d in mine),
                reasons=tuple(reasons),
            )
        )
    candidates.sort(
        key=lambda c: (
            c.tier or 0,
            -(len(c.met) - len(musts)),
            -c.therapist.capacity,
            c.therapist.name,
            c.therapist.key,
        )
    )
    return Ranking(
        candidates=tuple(candidates),
        elevated=tuple(elevated),
        preferences_only=preferences_only,
        why_preferences_only=why_preferences_only if preferences_only else "",
    )


def _nobody(
    open_ones: list[Therapist],
    musts: list[Preference],
    elevated: Sequence[str],
    preferences_only: bool,
    why: str,
    population: str,
) -> Ranking:
    """Nobody passed the filters: say which filter left no one."""
    listed: tuple[Preference, ...] = ()
    excluding: tuple[Preference, ...] = ()
    if not open_ones:
        phrase = NOBODY_OPEN_FOR if population else NOBODY_OPEN
    else:
        excluding = tuple(p for p in musts if not any(meets(t, p) for t in open_ones))
        phrase, listed = (
            (NOBODY_MEETS, excluding) if excluding else (NOBODY_MEETS_ALL, tuple(musts))
        )
    must_words = A_MUST if excluding else A_WISH
    sentence = phrase % {
        "population": population,
        "musts": "; ".join(
            must_words % {"kind": p.kind.value.replace("_", " "), "value": p.value} for p in listed
        ),
    }
    return Ranking(
        candidates=(),
        elevated=tuple(elevated),
        preferences_only=preferences_only,
        why_preferences_only=why if preferences_only else "",
        excluding=excluding,
        nobody=sentence,
        nobody_phrase=phrase,
        nobody_population=population,
        nobody_musts=listed,
    )
