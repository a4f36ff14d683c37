"""The practice dashboard's figures, from a practice's arrays to a JSON-ready dict.

What counts (shown on the page as well):
- Outcomes are for closed episodes, per outcome instrument with a published reliability, from
  the client's own ratings: pre = the episode's first score on the instrument, post = its last.
  An episode with one administration has no post score; it is counted, not classified.
- Reliable change is judged by the instrument's one rule, the same the client page and the
  alerts use (rapport.core.reliable): its published criterion (NHS Talking Therapies' for the
  PHQ-9 and GAD-7), else Jacobson–Truax with its published clinical SD where its definition gives
  one, else the SD of the practice's intake scores.
- Therapists are the episode's primary clinician at closure. A therapist is shown by name only
  with at least `min_caseload` classified closed episodes on that instrument; the others are
  counted, never listed. Every therapist's data still informs the practice-wide prior.
- The therapist effect is the ICC of final scores between therapists, after the intake score,
  from a random-intercept model over the closed episodes (rapport.core.multilevel).
- Modality is the episode's most frequent modality of attended sessions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.utils.translation import gettext_noop

from rapport.core.change import Z_TWO_TAILED, Direction
from rapport.core.instruments import Instrument
from rapport.core.multilevel import fit_random_intercept
from rapport.core.outcomes import (
    CATEGORIES,
    DETERIORATED,
    HARMED,
    IMPROVED,
    RECOVERED,
    beta_binomial_shrinkage,
    category_counts,
    first_and_last,
    histogram,
    pre_post_effect,
    proportion,
    recovery_cutoff,
    wilson,
)
from rapport.core.reliable import JACOBSON_TRUAX, ReliableChangeRule, rule_for
from rapport.core.text import Phrase, counted, plural_noop
from rapport.dashboards.reading import MODALITIES, PracticeData

FIGURES_VERSION = 1
MIN_CASELOAD = 15  # closed, classified episodes before a therapist is compared (issue default)
ALLIANCE_BINS = 10
# Stored in English with the figures; a page says them in its reader's language
# (dashboards_tags.stored_words).
MODALITY_LABELS = {
    "in_person": gettext_noop("In person"),
    "video": gettext_noop("Video"),
    "phone": gettext_noop("Phone"),
    "text": gettext_noop("Text / chat"),
}
CATEGORY_LABELS = {
    "recovered": gettext_noop("Recovered"),
    "improved": gettext_noop("Improved"),
    "unchanged": gettext_noop("Unchanged"),
    "deteriorated": gettext_noop("Deteriorated"),
    "harmed": gettext_noop("Harmed"),
}


# Why the therapist effect is not estimated, stored with the figures in English and said in the
# reader's language where it is shown (dashboards_tags.stored_reason).
TOO_FEW_FOR_EFFECTS = gettext_noop("%(episodes)s of %(therapists)s are too few (%(error)s)")
EPISODES = plural_noop("%(n)s classified closed episode", "%(n)s classified closed episodes")
THERAPISTS = plural_noop("%(n)s therapist", "%(n)s therapists")
REASONS: tuple[Phrase, ...] = (TOO_FEW_FOR_EFFECTS, EPISODES, THERAPISTS)


def _num(value: float | None) -> float | None:
    """JSON has no NaN or infinity: missing figures are null."""
    return None if value is None or not math.isfinite(value) else round(float(value), 6)


def _prop(count: int, n: int) -> dict[str, Any]:
    p = proportion(count, n)
    return {
        "count": p.count,
        "n": p.n,
        "value": _num(p.value),
        "lower": _num(p.lower),
        "upper": _num(p.upper),
    }


@dataclass(frozen=True)
class Names:
    therapists: dict[int, str]


def _effect(pre: np.ndarray, post: np.ndarray, direction: str) -> dict[str, Any] | None:
    effect = pre_post_effect(pre, post, direction=direction)
    if effect is None:
        return None
    return {
        "n": effect.n,
        "mean_pre": _num(effect.mean_pre),
        "mean_post": _num(effect.mean_post),
        "sd_pre": _num(effect.sd_pre),
        "r": _num(effect.r_pre_post),
        "d": _num(effect.d),
        "lower": _num(effect.lower),
        "upper": _num(effect.upper),
    }


def _categories(counts: np.ndarray, with_cutoff: bool) -> list[dict[str, Any]]:
    n = int(counts.sum())
    rows = []
    for code, category in enumerate(CATEGORIES):
        if not with_cutoff and code in (RECOVERED, HARMED):
            continue
        rows.append(
            {
                "key": category.value,
                "label": CATEGORY_LABELS[category.value],
                **_prop(int(counts[code]), n),
            }
        )
    return rows


def instrument_figures(
    data: PracticeData,
    instrument: Instrument,
    code: int,
    *,
    names: Names,
    min_caseload: int,
    rule: ReliableChangeRule | None = None,
) -> dict[str, Any]:
    """Outcome figures of one instrument over the practice's closed episodes.

    `rule` is the instrument's one reliable-change rule (rapport.measures.reliable.change_rule),
    the same the client page and the alerts use; without it, the instrument's published
    criterion or Jacobson–Truax with this data's intake SD.
    """
    assert instrument.reliability is not None
    rows = data.response_instrument == code
    episode_of = data.response_episode[rows]
    totals = data.response_total[rows]
    runs = first_and_last(episode_of)
    pre_all = totals[runs.first]
    episodes = runs.keys
    intake_sd = float(np.std(pre_all, ddof=1)) if pre_all.size >= 2 else math.nan

    if instrument.clinical_sd:
        sd, sd_source = float(instrument.clinical_sd), "published"
    else:
        sd, sd_source = intake_sd, "practice"
    cutoff, cutoff_source = recovery_cutoff(
        direction=instrument.direction,
        published_cutoff=instrument.cutoff,
        clinical_mean=instrument.clinical_mean,
        clinical_sd=instrument.clinical_sd,
        functional_mean=instrument.functional_mean,
        functional_sd=instrument.functional_sd,
    )
    if rule is None:
        rule = rule_for(instrument, sd=sd if sd > 0 else None)
    if rule is not None:
        cutoff = rule.caseness
        if instrument.reliable_change is not None:
            cutoff_source = "rule"
    closed = data.closed[episodes]
    paired = closed & (runs.count >= 2)
    base: dict[str, Any] = {
        "id": instrument.id,
        "title": instrument.short_title or instrument.title,
        "direction": instrument.direction,
        "reliability": instrument.reliability,
        "sd": _num(sd),
        "sd_source": sd_source,
        "intake_episodes": int(episodes.size),
        "cutoff": _num(cutoff) if cutoff is not None else None,
        "cutoff_source": cutoff_source,
        "closed_with_pair": int(paired.sum()),
        "closed_single": int((closed & (runs.count < 2)).sum()),
        "rule": None
        if rule is None
        else {
            "name": rule.name,
            "published": rule.name != JACOBSON_TRUAX,
            "points": _num(rule.points),
            "inclusive": rule.inclusive,
            "improvement": rule.improvement_words,
            "deterioration": rule.deterioration_words,
        },
    }
    if rule is None or not paired.any():
        return {
            **base,
            "categories": [],
            "effect": None,
            "by_modality": [],
            "therapists": [],
            "therapists_hidden": 0,
            "therapist_effect": None,
        }

    ep = episodes[paired]
    pre = totals[runs.first[paired]]
    post = totals[runs.last[paired]]
    codes = rule.categories(pre, post)
    with_cutoff = cutoff is not None
    reliably_better = (codes == RECOVERED) | (codes == IMPROVED)
    reliably_worse = (codes == DETERIORATED) | (codes == HARMED)

    by_modality = []
    modality = data.modality[ep]
    counts = category_counts(
        codes, np.where(modality < 0, len(MODALITIES), modality), len(MODALITIES) + 1
    )
    for m, key in enumerate(MODALITIES):
        chosen = modality == m
        n = int(chosen.sum())
        if n == 0:
            continue
        by_modality.append(
            {
                "modality": key,
                "label": MODALITY_LABELS.get(key, key),
                "n": n,
                "categories": _categories(counts[m], with_cutoff),
                "improved": _prop(int(reliably_better[chosen].sum()), n),
                "deteriorated": _prop(int(reliably_worse[chosen].sum()), n),
                "effect": _effect(pre[chosen], post[chosen], instrument.direction),
            }
        )

    therapists, hidden, icc = _therapists(
        data,
        ep,
        pre,
        post,
        reliably_better,
        reliably_worse,
        names=names,
        min_caseload=min_caseload,
        direction=instrument.direction,
    )
    return {
        **base,
        "categories": _categories(category_counts(codes)[0], with_cutoff),
        "improved": _prop(int(reliably_better.sum()), int(codes.size)),
        "deteriorated": _prop(int(reliably_worse.sum()), int(codes.size)),
        "effect": _effect(pre, post, instrument.direction),
        "by_modality": by_modality,
        "therapists": therapists,
        "therapists_hidden": hidden,
        # Classified closed episodes per therapist (counts only), so that each therapist can be
        # told how far they are from the minimum for their own figures.
        "caseloads": {
            str(t): int(c)
            for t, c in zip(*np.unique(data.clinician_ids[ep], return_counts=True), strict=True)
        },
        "therapist_effect": icc,
    }


def _therapists(
    data: PracticeData,
    ep: np.ndarray,
    pre: np.ndarray,
    post: np.ndarray,
    better: np.ndarray,
    worse: np.ndarray,
    *,
    names: Names,
    min_caseload: int,
    direction: str,
) -> tuple[list[dict[str, Any]], int, dict[str, Any] | None]:
    clinician = data.clinician_ids[ep]
    ids, group = np.unique(clinician, return_inverse=True)
    g = ids.size
    n = np.bincount(group, minlength=g)
    k = np.bincount(group, weights=better, minlength=g)
    worse_n = np.bincount(group, weights=worse, minlength=g)
    shrunk = beta_binomial_shrinkage(k, n)

    icc: dict[str, Any] | None
    adjusted: dict[int, tuple[float, float]] = {}
    try:
        fit = fit_random_intercept(clinician, post, pre, names=("intake",))
    except ValueError as error:
        icc = {
            "available": False,
            "reason": TOO_FEW_FOR_EFFECTS
            % {
                "episodes": counted(int(n.sum()), EPISODES),
                "therapists": counted(int(g), THERAPISTS),
                "error": error,
            },
        }
    else:
        icc = {
            "available": True,
            "icc": _num(fit.icc),
            "lower": _num(fit.icc_lower),
            "upper": _num(fit.icc_upper),
            "tau": _num(math.sqrt(fit.tau2)),
            "sigma": _num(math.sqrt(fit.sigma2)),
            "intake_slope": _num(float(fit.coef[1])),
            "n_obs": fit.n_obs,
            "n_groups": fit.n_groups,
        }
        # A BLUP is "points on the final score"; flip it so that positive is better for clients.
        sign = Direction(direction).sign
        for label, effect, sd in zip(fit.groups.tolist(), fit.effects, fit.effect_sd, strict=True):
            adjusted[int(label)] = (sign * float(effect), float(sd))

    # Dropout among each therapist's closed episodes (all of them, measured or not).
    closed_rows = np.flatnonzero(data.closed)
    closed_by = data.clinician_ids[closed_rows]
    dropped_by = data.dropped_out[closed_rows]
    position = np.searchsorted(ids, closed_by)
    known = (position < g) & (ids[np.minimum(position, g - 1)] == closed_by)
    closed_n = np.bincount(position[known], minlength=g)
    dropped_n = np.bincount(position[known], weights=dropped_by[known], minlength=g)
    drop_p, drop_lo, drop_hi = wilson(dropped_n, closed_n)

    rows = []
    for i in np.flatnonzero(n >= min_caseload).tolist():
        therapist = int(ids[i])
        effect, effect_sd = adjusted.get(therapist, (math.nan, math.nan))
        rows.append(
            {
                "id": therapist,
                "name": names.therapists.get(therapist, f"Therapist {therapist}"),
                "n": int(n[i]),
                "raw_improved": _num(float(shrunk.raw[i])),
                "improved": _num(float(shrunk.mean[i])),
                "improved_lower": _num(float(shrunk.lower[i])),
                "improved_upper": _num(float(shrunk.upper[i])),
                "deteriorated": _num(float(worse_n[i] / n[i])),
                "adjusted": _num(effect),
                "adjusted_lower": _num(effect - Z_TWO_TAILED * effect_sd),
                "adjusted_upper": _num(effect + Z_TWO_TAILED * effect_sd),
                "closed": int(closed_n[i]),
                "dropout": _num(float(drop_p[i])),
                "dropout_lower": _num(float(drop_lo[i])),
                "dropout_upper": _num(float(drop_hi[i])),
            }
        )
    rows.sort(key=lambda row: str(row["name"]))
    prior = {
        "prior_improved": _num(shrunk.prior_mean),
        "prior_weight": _num(shrunk.prior_concentration),
    }
    if icc is not None:
        icc.update(prior)
    return rows, int((n < min_caseload).sum()), icc


def alliance_figures(
    totals: np.ndarray, counts: np.ndarray, instrument: Instrument | None, *, cutoff: float
) -> dict[str, Any]:
    if instrument is None:
        return {"n": 0}
    low, high = instrument.score_range
    hist = histogram(
        totals, weights=counts, low=low, high=high, bins=ALLIANCE_BINS, threshold=cutoff
    )
    bins = []
    for i in range(hist.counts.size):
        count = int(hist.counts[i])
        bins.append(
            {
                "low": _num(float(hist.edges[i])),
                "high": _num(float(hist.edges[i + 1])),
                "last": i == hist.counts.size - 1,
                "count": count,
                "percent": _num(100.0 * count / hist.n) if hist.n else None,
            }
        )
    return {
        "title": instrument.short_title or instrument.title,
        "low": low,
        "high": high,
        "n": hist.n,
        "median": _num(hist.median),
        "cutoff": cutoff,
        "below": _prop(hist.below, hist.n),
        "bins": bins,
    }


def practice_figures(
    data: PracticeData,
    *,
    outcome_instruments: list[Instrument],
    alliance_instrument: Instrument | None,
    alliance_cutoff: float,
    names: Names,
    min_caseload: int = MIN_CASELOAD,
    rules: dict[str, ReliableChangeRule | None] | None = None,
) -> dict[str, Any]:
    """Every figure of the practice dashboard; outcome instruments are coded in the order given.

    `rules` holds each instrument's reliable-change rule by id (see instrument_figures)."""
    closed = data.closed
    n_closed = int(closed.sum())
    modality_closed = data.modality[closed]
    dropped_closed = data.dropped_out[closed]
    dropout_by_modality = []
    for m, key in enumerate(MODALITIES):
        chosen = modality_closed == m
        if chosen.any():
            dropout_by_modality.append(
                {
                    "modality": key,
                    "label": MODALITY_LABELS.get(key, key),
                    **_prop(int(dropped_closed[chosen].sum()), int(chosen.sum())),
                }
            )
    computed = [
        instrument_figures(
            data,
            instrument,
            code,
            names=names,
            min_caseload=min_caseload,
            rule=(rules or {}).get(instrument.id),
        )
        for code, instrument in enumerate(outcome_instruments)
    ]
    instruments = [figures for figures in computed if figures["intake_episodes"] > 0]
    return {
        "version": FIGURES_VERSION,
        "min_caseload": min_caseload,
        "confidence": 0.95,
        "closed": {
            "n": n_closed,
            "dropout": _prop(int(dropped_closed.sum()), n_closed),
            "dropout_by_modality": dropout_by_modality,
        },
        "instruments": instruments,
        "alliance": alliance_figures(
            data.rating_totals, data.rating_counts, alliance_instrument, cutoff=alliance_cutoff
        ),
    }
