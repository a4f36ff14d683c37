"""Which instruments are outcome measures has one answer, the registry's: the trajectories, the
plan's linked measures, the dashboards and the score histories all ask it."""

from __future__ import annotations

import re
from pathlib import Path

from rapport.dashboards.queries import outcome_instruments
from rapport.measures.registry import outcome_families
from rapport.plans.goal_status import measure_families
from rapport.trajectories.queries import client_outcome_families

PACKAGE = Path(__file__).parent.parent / "rapport"


def test_the_client_outcome_families_are_the_symptom_and_wellbeing_measures(cast):
    families = outcome_families(cast.practice.pk)

    assert sorted(families) == ["checkin", "gad7", "phq9", "scared"]
    assert [i.id for i in families["checkin"]] == ["checkin-adult", "checkin-child"]


def test_session_feedback_and_goal_ratings_are_not_outcome_measures(cast):
    families = outcome_families(cast.practice.pk, respondents=("client", "guardian", "therapist"))

    assert "feedback" not in families and "goal" not in families


def test_a_guardians_outcome_measures_are_found_when_asked_for(cast):
    families = outcome_families(cast.practice.pk, respondents=("guardian",))

    assert {i.id for found in families.values() for i in found} == {
        "checkin-caregiver",
        "scared-parent",
    }


def test_trajectories_plans_and_dashboards_give_the_registrys_answer(cast):
    families = outcome_families(cast.practice.pk)
    every = [i for found in families.values() for i in found]

    assert client_outcome_families(cast.practice.pk).keys() == families.keys()
    assert measure_families(cast.practice.pk) == {f: found[0] for f, found in families.items()}
    assert outcome_instruments(cast.practice.pk) == [i for i in every if i.reliability]
    assert {i.id for i in outcome_instruments(cast.practice.pk)} == {"gad7", "phq9"}


def test_no_module_outside_the_instrument_model_asks_for_the_outcome_kind_by_hand():
    asking = re.compile(r"""kind\s*[!=]=\s*["']outcome["']""")
    model = PACKAGE / "core" / "instruments" / "model.py"
    offending = [
        str(path.relative_to(PACKAGE))
        for path in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.html")]
        if path != model and asking.search(path.read_text())
    ]
    assert offending == []
