"""Expected treatment response: is this client on track, given where they started?

The practice's own score series (one per episode, session 1 = intake) are fitted with the growth
model in `rapport.core.growth`:

    score ~ time · intake_c + (time | episode),   time = log(session),   intake_c = intake − mean

so the expected curve bends with the intake score (clients who start high have more room to
fall), and change is fastest early in treatment, as in the dose–response literature (Howard,
Kopta, Krause & Orlinsky 1986, Am Psychol 41(2), 159–164). For a NEW client who starts at x, the
score at session s is predicted as normal with

    mean = z'Pβ,   variance = z'P Cov(β̂) P'z + z'Gz + σ²,   z = (1, log s), P = [I, x_c·I],

the fixed-effect uncertainty, the spread of clients' own curves (G) and session-to-session
noise (σ²). A score is placed by its percentile of expected *improvement*: on a scale where
higher is worse (PHQ-9) a score above the 75th percentile of expected scores is below the 25th
percentile of expected improvement. Below the at-risk percentile (default 25) is "at risk", below
the off-track percentile (default 10) "off track" (Lambert's expected treatment response uses
similar tails of the predicted distribution; the defaults are configurable per practice).

With too few clients or observations for a stable model, a transparent rule stands in: "off
track" when a score shows reliable deterioration against the intake score, or when from session
N on (default 8) it shows no reliable improvement; reliable change as in Jacobson & Truax (1991),
J Consult Clin Psychol 59(1), 12–19, with S_diff = √2 · SD · √(1 − r). The default N = 8 follows
Howard et al. (1986): by about the eighth session half of outpatients had measurably improved,
so a client still without reliable improvement then is behind most who will benefit.

Reliable deterioration is flagged separately on every score, whichever basis classifies it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rapport.core.change import Z_TWO_TAILED
from rapport.core.growth import fit_growth
from rapport.core.reliable import ReliableChangeRule
from rapport.core.text import Phrase, counted, gettext_noop, plural_noop

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

DEFAULT_AT_RISK_PERCENTILE = 25.0
DEFAULT_OFF_TRACK_PERCENTILE = 10.0
DEFAULT_MIN_CLIENTS = 50
DEFAULT_MIN_OBSERVATIONS = 200
DEFAULT_FALLBACK_SESSION = 8
BAND_PERCENTILES = (10, 25, 50, 75, 90)
COVARIATE = "intake"
_NORMAL = NormalDist()


class Status(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


class Basis(StrEnum):
    MODEL = "model"  # percentiles of the practice's expected-trajectory model
    RULE = "rule"  # the reliable-change rule, when there are too few data for a model


@dataclass(frozen=True)
class Thresholds:
    """Percentiles of expected improvement below which a score is at risk / off track."""

    at_risk_percentile: float = DEFAULT_AT_RISK_PERCENTILE
    off_track_percentile: float = DEFAULT_OFF_TRACK_PERCENTILE
    fallback_session: int = DEFAULT_FALLBACK_SESSION

    def __post_init__(self) -> None:
        if not 0.0 < self.off_track_percentile <= self.at_risk_percentile < 100.0:
            raise ValueError(
                "percentiles must satisfy 0 < off track ≤ at risk < 100, got "
                f"{self.off_track_percentile} and {self.at_risk_percentile}"
            )
        if self.fallback_session < 2:
            raise ValueError("the rule's session must be 2 or later (session 1 is the intake)")


@dataclass(frozen=True)
class Classification:
    status: Status
    basis: Basis
    percentile: float | None  # of expected improvement (model only): low is worse than expected
    expected: float | None  # the median expected score at this session (model only)
    reliable_deterioration: bool
    rci: float | None  # signed so that positive is better; None without a reliability


# --- Data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """Scores by episode and session, each row carrying its episode's intake (session 1) score."""

    episode: IntArray
    session: IntArray
    score: FloatArray
    intake: FloatArray
    n_dropped_episodes: int  # episodes without a session-1 score, left out

    @property
    def n_episodes(self) -> int:
        return int(np.unique(self.episode).size)

    @property
    def n_obs(self) -> int:
        return int(self.score.size)

    def intakes(self) -> FloatArray:
        """One intake score per episode."""
        first = self.session == 1
        values: FloatArray = self.intake[first]
        return values


def series(episode: ArrayLike, session: ArrayLike, score: ArrayLike) -> Series:
    """Rows in any order; a session number is counted from 1, the intake (the first score).

    Episodes with no score at session 1 have no intake to condition on and are dropped; a second
    score at the same session of an episode keeps the later row given.
    """
    ep = np.asarray(episode, dtype=np.int64)
    ses = np.asarray(session, dtype=np.int64)
    y = np.asarray(score, dtype=np.float64)
    if not (ep.ndim == ses.ndim == y.ndim == 1) or not (ep.size == ses.size == y.size):
        raise ValueError("episode, session and score must be one value per row, of equal length")
    if ses.size and int(ses.min()) < 1:
        raise ValueError("session numbers start at 1 (the intake)")
    if not np.isfinite(y).all():
        raise ValueError("scores must be finite numbers")
    # Last row wins for a repeated (episode, session): sort stably, keep the last of each run.
    order = np.lexsort((ses, ep))
    ep, ses, y = ep[order], ses[order], y[order]
    if ep.size:
        last = np.ones(ep.size, dtype=bool)
        last[:-1] = (ep[1:] != ep[:-1]) | (ses[1:] != ses[:-1])
        ep, ses, y = ep[last], ses[last], y[last]
    intake_of = {int(e): float(v) for e, s, v in zip(ep, ses, y, strict=True) if s == 1}
    keep = np.array([int(e) in intake_of for e in ep], dtype=bool)
    dropped = int(np.unique(ep[~keep]).size) if ep.size else 0
    ep, ses, y = ep[keep], ses[keep], y[keep]
    intake = np.array([intake_of[int(e)] for e in ep], dtype=np.float64)
    return Series(episode=ep, session=ses, score=y, intake=intake, n_dropped_episodes=dropped)


def session_time(session: ArrayLike) -> FloatArray:
    """The model's time axis: log(session), 0 at intake; early sessions count most."""
    values = np.asarray(session, dtype=np.float64)
    if values.size and float(values.min()) < 1:
        raise ValueError("session numbers start at 1 (the intake)")
    result: FloatArray = np.log(values)
    return result


# --- The model ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpectedModel:
    """The fitted expected trajectory, enough to predict a new client's score distribution.

    Fixed effects in the order intercept, time, intake, time:intake, with the intake centred at
    intake_center; Cov(β̂); G, the covariance of a client's own intercept and slope; σ.
    """

    coef: tuple[float, float, float, float]
    coef_cov: tuple[tuple[float, ...], ...]
    random_cov: tuple[tuple[float, float], tuple[float, float]]
    residual_sd: float
    intake_center: float
    n_episodes: int
    n_obs: int
    converged: bool
    singular: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "coef": list(self.coef),
            "coef_cov": [list(row) for row in self.coef_cov],
            "random_cov": [list(row) for row in self.random_cov],
            "residual_sd": self.residual_sd,
            "intake_center": self.intake_center,
            "n_episodes": self.n_episodes,
            "n_obs": self.n_obs,
            "converged": self.converged,
            "singular": self.singular,
        }

    def predict_rows(self, session: ArrayLike, intake: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """predict() for many clients at once: row i is a client starting at intake[i], seen at
        session[i] (a practice's whole history is reclassified in one pass)."""
        t = np.atleast_1d(session_time(session))
        x = np.atleast_1d(np.asarray(intake, dtype=np.float64)) - self.intake_center
        if t.shape != x.shape:
            raise ValueError("session and intake must have one value per row")
        zp = np.column_stack([np.ones_like(t), t, x, t * x])  # z'P, row by row
        z = np.column_stack([np.ones_like(t), t])
        mean: FloatArray = zp @ np.asarray(self.coef)
        var_fixed = np.einsum("ij,jk,ik->i", zp, np.asarray(self.coef_cov), zp)
        var_random = np.einsum("ij,jk,ik->i", z, np.asarray(self.random_cov), z)
        sd: FloatArray = np.sqrt(var_fixed + var_random + self.residual_sd**2)
        return mean, sd

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExpectedModel:
        coef = tuple(float(v) for v in data["coef"])
        if len(coef) != 4:
            raise ValueError("an expected model has four fixed effects")
        g = [[float(v) for v in row] for row in data["random_cov"]]
        return cls(
            coef=(coef[0], coef[1], coef[2], coef[3]),
            coef_cov=tuple(tuple(float(v) for v in row) for row in data["coef_cov"]),
            random_cov=((g[0][0], g[0][1]), (g[1][0], g[1][1])),
            residual_sd=float(data["residual_sd"]),
            intake_center=float(data["intake_center"]),
            n_episodes=int(data["n_episodes"]),
            n_obs=int(data["n_obs"]),
            converged=bool(data["converged"]),
            singular=bool(data["singular"]),
        )

    def predict(self, session: ArrayLike, intake: float) -> tuple[FloatArray, FloatArray]:
        """Mean and SD of a new client's score at each session, given their intake score."""
        t = np.atleast_1d(session_time(session))
        x = float(intake) - self.intake_center
        z = np.column_stack([np.ones_like(t), t])
        p = np.array([[1.0, 0.0, x, 0.0], [0.0, 1.0, 0.0, x]])  # (intercept, slope) = Pβ
        zp = z @ p
        mean: FloatArray = zp @ np.asarray(self.coef)
        var_fixed = np.einsum("ij,jk,ik->i", zp, np.asarray(self.coef_cov), zp)
        var_random = np.einsum("ij,jk,ik->i", z, np.asarray(self.random_cov), z)
        sd: FloatArray = np.sqrt(var_fixed + var_random + self.residual_sd**2)
        return mean, sd


# Why the rule stands in, as stored with the fit (rapport.core.text.said_again says it again).
TOO_FEW_DATA = gettext_noop(
    "too few data for a model: %(clients)s with %(scores)s "
    "(the practice asks for %(min_clients)s clients and %(min_scores)s scores)"
)
FEW_FOLLOWED = gettext_noop("fewer than three clients have a score after intake")
NOT_FITTED = gettext_noop("the model could not be fitted: %(error)s")
NOT_CONVERGED = gettext_noop("the model did not converge: %(error)s")
CLIENTS = plural_noop("%(n)s client", "%(n)s clients")
SCORES = plural_noop("%(n)s score", "%(n)s scores")
FIT_REASONS: tuple[Phrase, ...] = (
    TOO_FEW_DATA,
    FEW_FOLLOWED,
    NOT_FITTED,
    NOT_CONVERGED,
    CLIENTS,
    SCORES,
)


@dataclass(frozen=True)
class FitResult:
    """A model, or the reason the rule stands in (too few data, or a fit that failed)."""

    model: ExpectedModel | None
    reason: str
    n_episodes: int
    n_obs: int


def fit_expected(
    data: Series,
    *,
    min_episodes: int = DEFAULT_MIN_CLIENTS,
    min_observations: int = DEFAULT_MIN_OBSERVATIONS,
) -> FitResult:
    """Fit the expected-trajectory model, or say why not (then the rule applies)."""
    n_episodes, n_obs = data.n_episodes, data.n_obs
    followed = int(np.unique(data.episode[data.session > 1]).size)
    if n_episodes < min_episodes or n_obs < min_observations:
        return FitResult(
            None,
            TOO_FEW_DATA
            % {
                "clients": counted(n_episodes, CLIENTS),
                "scores": counted(n_obs, SCORES),
                "min_clients": min_episodes,
                "min_scores": min_observations,
            },
            n_episodes,
            n_obs,
        )
    if followed < 3:
        return FitResult(None, FEW_FOLLOWED, *_n(data))
    center = float(data.intakes().mean())
    try:
        fit = fit_growth(
            data.episode,
            session_time(data.session),
            data.score,
            covariates={COVARIATE: data.intake - center},
        )
    except ValueError as error:
        return FitResult(None, NOT_FITTED % {"error": error}, *_n(data))
    if not fit.converged:
        return FitResult(None, NOT_CONVERGED % {"error": fit.message}, *_n(data))
    g = fit.random_cov
    model = ExpectedModel(
        coef=(float(fit.coef[0]), float(fit.coef[1]), float(fit.coef[2]), float(fit.coef[3])),
        coef_cov=tuple(tuple(float(v) for v in row) for row in fit.cov),
        random_cov=((float(g[0, 0]), float(g[0, 1])), (float(g[1, 0]), float(g[1, 1]))),
        residual_sd=float(fit.residual_sd),
        intake_center=center,
        n_episodes=fit.n_groups,
        n_obs=fit.n_obs,
        converged=fit.converged,
        singular=fit.singular,
    )
    return FitResult(model, "model fitted", n_episodes, n_obs)


def _n(data: Series) -> tuple[int, int]:
    return data.n_episodes, data.n_obs


# --- Percentiles and classification -----------------------------------------------------------


def improvement_percentile(score: float, mean: float, sd: float, *, higher_is_worse: bool) -> float:
    """Percentile (0–100) of this score's improvement among the expected outcomes.

    Low means worse than expected: on a higher-is-worse scale, a score above most expected scores.
    """
    if not sd > 0:
        raise ValueError(f"the predictive SD must be positive, got {sd}")
    below = _NORMAL.cdf((score - mean) / sd)  # share of expected scores below this one
    return 100.0 * ((1.0 - below) if higher_is_worse else below)


def status_for_percentile(percentile: float, thresholds: Thresholds) -> Status:
    """Strictly below a threshold percentile counts: exactly at the 25th is still on track."""
    if percentile < thresholds.off_track_percentile:
        return Status.OFF_TRACK
    if percentile < thresholds.at_risk_percentile:
        return Status.AT_RISK
    return Status.ON_TRACK


def s_diff(reliability: float | None, sd: float | None) -> float | None:
    """Jacobson & Truax's standard error of the difference, or None without a usable r and SD."""
    if reliability is None or sd is None or not 0.0 < reliability < 1.0 or not sd > 0:
        return None
    return math.sqrt(2.0 * sd * sd * (1.0 - reliability))


def improvement_index(
    intake: float, score: float, s_difference: float, *, higher_is_worse: bool
) -> float:
    """The RCI signed so that positive means better (Jacobson & Truax 1991)."""
    change = (score - intake) / s_difference
    return -change if higher_is_worse else change


def classify(
    *,
    session: int,
    score: float,
    intake: float,
    higher_is_worse: bool,
    thresholds: Thresholds,
    model: ExpectedModel | None,
    s_difference: float | None,
    rule: ReliableChangeRule | None = None,
) -> Classification | None:
    """One score after intake, by the model when there is one, else by the rule.

    None for the intake itself (nothing to compare) and, without a model, when the instrument
    has no reliability to judge reliable change by.
    """
    if session < 2:
        return None
    predicted = None
    if model is not None:
        mean, sd = model.predict([session], intake)
        predicted = (float(mean[0]), float(sd[0]))
    return _classified(
        session=session,
        score=score,
        intake=intake,
        higher_is_worse=higher_is_worse,
        thresholds=thresholds,
        predicted=predicted,
        s_difference=s_difference,
        rule=rule,
    )


def _classified(
    *,
    session: int,
    score: float,
    intake: float,
    higher_is_worse: bool,
    thresholds: Thresholds,
    predicted: tuple[float, float] | None,  # the model's mean and SD at this session
    s_difference: float | None,
    rule: ReliableChangeRule | None = None,
) -> Classification | None:
    rci = (
        None
        if s_difference is None
        else improvement_index(intake, score, s_difference, higher_is_worse=higher_is_worse)
    )
    # The instrument's reliable-change rule (rapport.core.reliable) decides where it is given,
    # so a score is "reliably worse" here exactly when the client page says so.
    if rule is not None:
        deteriorated = rule.is_reliably_worse(intake, score)
        improved = rule.is_reliably_better(intake, score)
    else:
        deteriorated = rci is not None and rci < -Z_TWO_TAILED
        improved = rci is not None and rci > Z_TWO_TAILED
    if predicted is not None:
        mean, sd = predicted
        percentile = improvement_percentile(score, mean, sd, higher_is_worse=higher_is_worse)
        return Classification(
            status=status_for_percentile(percentile, thresholds),
            basis=Basis.MODEL,
            percentile=percentile,
            expected=mean,
            reliable_deterioration=deteriorated,
            rci=rci,
        )
    if rci is None and rule is None:
        return None
    behind = session >= thresholds.fallback_session and not improved
    return Classification(
        status=Status.OFF_TRACK if deteriorated or behind else Status.ON_TRACK,
        basis=Basis.RULE,
        percentile=None,
        expected=None,
        reliable_deterioration=deteriorated,
        rci=rci,
    )


def classify_series(
    data: Series,
    *,
    higher_is_worse: bool,
    thresholds: Thresholds,
    model: ExpectedModel | None,
    s_difference: float | None,
    rule: ReliableChangeRule | None = None,
) -> list[Classification | None]:
    """classify() for every row of the series, in its order."""
    return classify_rows(
        data.session,
        data.score,
        data.intake,
        higher_is_worse=higher_is_worse,
        thresholds=thresholds,
        model=model,
        s_difference=s_difference,
        rule=rule,
    )


def classify_rows(
    session: ArrayLike,
    score: ArrayLike,
    intake: ArrayLike,
    *,
    higher_is_worse: bool,
    thresholds: Thresholds,
    model: ExpectedModel | None,
    s_difference: float | None,
    rule: ReliableChangeRule | None = None,
) -> list[Classification | None]:
    """classify() row by row, with the model's predictions made for all rows in one pass: a
    refresh reclassifies a practice's whole history, a million scores at scale."""
    sessions = np.asarray(session, dtype=np.int64)
    scores = np.asarray(score, dtype=np.float64)
    intakes = np.asarray(intake, dtype=np.float64)
    if not sessions.shape == scores.shape == intakes.shape or sessions.ndim != 1:
        raise ValueError("session, score and intake must be one value per row, of equal length")
    later = sessions >= 2  # the intake itself is not classified
    means = np.full(scores.shape, np.nan)
    sds = np.full(scores.shape, np.nan)
    if model is not None and later.any():
        means[later], sds[later] = model.predict_rows(sessions[later], intakes[later])
    found: list[Classification | None] = []
    for s, y, x, mean, sd in zip(
        sessions.tolist(),
        scores.tolist(),
        intakes.tolist(),
        means.tolist(),
        sds.tolist(),
        strict=True,
    ):
        if s < 2:
            found.append(None)
            continue
        found.append(
            _classified(
                session=s,
                score=y,
                intake=x,
                higher_is_worse=higher_is_worse,
                thresholds=thresholds,
                predicted=None if model is None else (mean, sd),
                s_difference=s_difference,
                rule=rule,
            )
        )
    return found


# --- The expected band for a chart --------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    sessions: list[int]
    percentiles: dict[int, list[float]]  # 10, 25, 50, 75, 90 → score at each session


def expected_band(
    model: ExpectedModel,
    *,
    intake: float,
    sessions: Sequence[int],
    score_range: tuple[float, float] | None = None,
) -> Band:
    """Percentiles of a new client's expected score by session, in score units.

    Clipped to the scale's range when given: a band below 0 on the PHQ-9 would mean nothing.
    """
    chosen = [int(s) for s in sessions]
    mean, sd = model.predict(chosen, intake)
    percentiles: dict[int, list[float]] = {}
    for p in BAND_PERCENTILES:
        values = mean + _NORMAL.inv_cdf(p / 100.0) * sd
        if score_range is not None:
            values = np.clip(values, score_range[0], score_range[1])
        percentiles[p] = [float(v) for v in values]
    return Band(sessions=chosen, percentiles=percentiles)


# --- Reliability when a scale publishes none ----------------------------------------------------


def cronbach_alpha(items: ArrayLike) -> float | None:
    """Cronbach's alpha of a respondents × items matrix (complete rows), or None if undefined.

    α = k/(k − 1) · (1 − Σ var(item) / var(total)), sample variances (Cronbach 1951,
    Psychometrika 16(3), 297–334). Used for a scale without a published reliability, on the
    practice's own intake answers.
    """
    matrix = np.asarray(items, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] < 2 or matrix.shape[0] < 3:
        return None
    matrix = matrix[np.isfinite(matrix).all(axis=1)]
    if matrix.shape[0] < 3:
        return None
    k = matrix.shape[1]
    total_var = float(matrix.sum(axis=1).var(ddof=1))
    if not total_var > 0:
        return None
    item_var = float(matrix.var(axis=0, ddof=1).sum())
    return float(k / (k - 1) * (1.0 - item_var / total_var))
