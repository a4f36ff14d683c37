"""Fear ladders read back: each step with its attempts and computed progress, and the plan's
goals a ladder may serve."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from rapport.care.models import Episode
from rapport.core import exposure as rules
from rapport.exposure.models import Attempt, Ladder, Step
from rapport.plans import queries as plan_queries


def goal_titles(episode: Episode) -> dict[uuid.UUID, str]:
    """The plan's goals by stable key (a ladder may serve one)."""
    return dict(plan_queries.goal_titles(episode))


STATE_WORDS = {
    rules.StepState.NOT_STARTED: "not started",
    rules.StepState.PRACTISING: "practising",
    rules.StepState.MASTERED: "mastered",
}


@dataclass(frozen=True)
class StepRow:
    number: int  # 1 = the easiest step
    step: Step
    attempts: list[Attempt]
    progress: rules.StepProgress
    is_current: bool

    @property
    def state(self) -> str:
        return self.progress.state.value

    @property
    def state_words(self) -> str:
        return STATE_WORDS[self.progress.state]


@dataclass(frozen=True)
class LadderOverview:
    ladder: Ladder
    rows: list[StepRow]
    progress: rules.LadderProgress
    goal_title: str | None

    @property
    def current(self) -> StepRow | None:
        return next((row for row in self.rows if row.is_current), None)

    @property
    def attempts(self) -> int:
        return sum(row.progress.attempts for row in self.rows)


def ladder_overview(ladder: Ladder, goals: dict[uuid.UUID, str] | None = None) -> LadderOverview:
    """Every step with its attempts and computed progress, easiest first."""
    steps = list(ladder.steps.prefetch_related("attempts__recorded_by"))
    histories = [list(step.attempts.all()) for step in steps]
    progress = rules.ladder_progress(
        [
            ([a.peak_suds for a in attempts], [a.anticipated_suds for a in attempts])
            for attempts in histories
        ],
        ladder.rule,
    )
    rows = [
        StepRow(i + 1, step, attempts, step_progress, i == progress.current_index)
        for i, (step, attempts, step_progress) in enumerate(
            zip(steps, histories, progress.steps, strict=True)
        )
    ]
    goal_title = None
    if ladder.goal_key is not None:
        goals = goal_titles(ladder.episode) if goals is None else goals
        goal_title = goals.get(ladder.goal_key, "a goal no longer in the plan")
    return LadderOverview(ladder, rows, progress, goal_title)
