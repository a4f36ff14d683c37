"""Alliance alert rules at every boundary, and rupture–repair.

Default thresholds (AllianceSettings): total below 36; item at or below 7; a drop of 1 from the
previous session or 3 from the mean of the last three; therapist 4 above the client on the total
or 2 on an item; child and guardian 6 apart; goals at or below 6; 40 on 4 sessions running;
repair within 3 rated sessions.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from importlib import resources

import pytest

from rapport.core.alliance import (
    ALLIANCE_DROP,
    CEILING,
    CHILD_GUARDIAN_DISCREPANCY,
    DISAGREEMENT,
    GOALS_LOW,
    ITEMS,
    KINDS,
    LINK_ID_PREFIX,
    LOW_ALLIANCE,
    TOTAL_MAX,
    AlertFinding,
    AllianceRating,
    AllianceSettings,
    RepairSummary,
    RuptureStatus,
    baseline,
    evaluate_session,
    rating_from_answers,
    repair_summary,
    rupture_status,
)

DEFAULTS = AllianceSettings()


def items(
    session: int, bond: float, goals: float, approach: float, overall: float
) -> AllianceRating:
    values = {"bond": bond, "goals": goals, "approach": approach, "overall": overall}
    return AllianceRating(session_index=session, total=sum(values.values()), items=values)


def totals(*values: float, start: int = 1) -> list[AllianceRating]:
    """Client ratings with only a total, for sessions start, start + 1, …"""
    return [AllianceRating(session_index=start + i, total=v) for i, v in enumerate(values)]


def findings(
    history: list[AllianceRating],
    *,
    therapist: AllianceRating | None = None,
    guardian: AllianceRating | None = None,
    settings: AllianceSettings = DEFAULTS,
) -> dict[str, str]:
    found = evaluate_session(
        client_history=history, therapist=therapist, guardian=guardian, settings=settings
    )
    return {finding.kind: finding.reason for finding in found}


# --- The instrument ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["client", "child", "guardian", "therapist"])
def test_the_items_are_those_of_every_feedback_questionnaire(version: str) -> None:
    path = resources.files("rapport.instruments") / f"feedback-{version}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["scoring"]["total_items"] == [LINK_ID_PREFIX + name for name in ITEMS]
    assert document["scoring"]["missing"] == {"max_missing": 0, "prorate": False}
    sliders = [i for i in document["questionnaire"]["item"] if i["type"] == "integer"]
    maxima = {
        ext["valueInteger"]
        for item in sliders
        for ext in item["extension"]
        if ext["url"].endswith("/maxValue")
    }
    assert maxima == {10}
    assert len(sliders) * 10 == TOTAL_MAX


def test_a_rating_is_read_from_answers_keyed_by_link_id() -> None:
    answers = {
        "feedback-bond": 9,
        "feedback-goals": 8,
        "feedback-approach": 10,
        "feedback-overall": 9,
        "feedback-better": "More time.",
    }
    rating = rating_from_answers(4, answers)  # type: ignore[arg-type]
    assert rating.session_index == 4
    assert rating.total == 36
    assert dict(rating.items) == {"bond": 9, "goals": 8, "approach": 10, "overall": 9}


def test_answers_missing_an_item_are_not_a_rating() -> None:
    with pytest.raises(ValueError, match="feedback-overall"):
        rating_from_answers(1, {"feedback-bond": 9, "feedback-goals": 8, "feedback-approach": 9})


def test_a_rating_outside_the_scale_is_rejected() -> None:
    with pytest.raises(ValueError, match="between 0 and 40"):
        AllianceRating(session_index=1, total=41)
    with pytest.raises(ValueError, match="bond must be between 0 and 10"):
        AllianceRating(session_index=1, total=11, items={"bond": 11})
    with pytest.raises(ValueError, match="unknown feedback items"):
        AllianceRating(session_index=1, total=9, items={"feedback-bond": 9})


def test_a_total_that_is_not_the_sum_of_its_items_is_rejected() -> None:
    values = {"bond": 9, "goals": 9, "approach": 9, "overall": 9}
    with pytest.raises(ValueError, match="not the sum"):
        AllianceRating(session_index=1, total=35, items=values)


def test_a_rating_cannot_be_changed_through_the_callers_dict() -> None:
    values = {"bond": 9.0, "goals": 9.0, "approach": 9.0, "overall": 9.0}
    rating = AllianceRating(session_index=1, total=36, items=values)
    values["bond"] = 0
    assert rating.items["bond"] == 9


# --- Settings ----------------------------------------------------------------------------------


def test_the_defaults_are_the_practice_starting_points() -> None:
    assert asdict(AllianceSettings()) == {
        "low_total_cutoff": 36,
        "low_item_value": 7,
        "drop_from_previous": 1,
        "drop_from_recent_mean": 3,
        "disagreement_total": 4,
        "disagreement_item": 2,
        "child_guardian_discrepancy": 6,
        "goals_item_low": 6,
        "ceiling_sessions": 4,
        "repair_window_sessions": 3,
        "recent_sessions": 3,
    }


@pytest.mark.parametrize(
    "change",
    [
        {"low_total_cutoff": 41},
        {"low_item_value": -1},
        {"drop_from_previous": 0},
        {"disagreement_item": 11},
        {"ceiling_sessions": 0},
        {"repair_window_sessions": 0},
    ],
)
def test_settings_outside_the_scale_are_rejected(change: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        AllianceSettings(**change)  # type: ignore[arg-type]


# --- Low alliance ------------------------------------------------------------------------------


def test_a_total_of_35_is_below_the_cut_off_of_36() -> None:
    assert findings(totals(35)) == {
        LOW_ALLIANCE: "Client total 35 is below the practice cut-off of 36"
    }


def test_a_total_of_exactly_36_is_not_below_the_cut_off() -> None:
    assert findings(totals(36)) == {}


def test_an_item_exactly_at_the_low_value_alerts_even_when_the_total_passes() -> None:
    # 10 + 10 + 7 + 10 = 37, above the cut-off: only the item rule speaks.
    assert findings([items(1, 10, 10, 7, 10)]) == {
        LOW_ALLIANCE: "Client rated approach 7 (at or below 7)"
    }


def test_an_item_one_point_above_the_low_value_does_not_alert() -> None:
    assert findings([items(1, 10, 10, 8, 10)]) == {}


def test_a_low_total_and_low_items_are_one_finding_with_every_reason() -> None:
    assert findings([items(1, 7, 9, 7, 9)]) == {
        LOW_ALLIANCE: "Client total 32 is below the practice cut-off of 36; "
        "Client rated bond 7 (at or below 7); Client rated approach 7 (at or below 7)"
    }


def test_the_cut_off_is_a_practice_setting() -> None:
    assert findings(totals(34), settings=AllianceSettings(low_total_cutoff=34)) == {}


# --- Drops -------------------------------------------------------------------------------------


def test_a_drop_of_exactly_1_point_from_last_session_alerts() -> None:
    assert findings(totals(39, 38)) == {ALLIANCE_DROP: "1 point below last session (39 → 38)"}


def test_a_drop_of_half_a_point_does_not_alert() -> None:
    assert findings(totals(39, 38.5)) == {}


def test_the_reason_for_a_drop_names_both_totals() -> None:
    found = findings(totals(35, 33))
    assert found[ALLIANCE_DROP] == "2 points below last session (35 → 33)"
    assert found[LOW_ALLIANCE] == "Client total 33 is below the practice cut-off of 36"


def test_a_fall_of_exactly_3_below_the_mean_of_the_last_three_alerts() -> None:
    # Mean of 40, 40, 34 is 38; the latest 35 is a rise from last session but 3 below that mean.
    found = findings(totals(40, 40, 34, 35))
    assert found[ALLIANCE_DROP] == "3 points below the mean of the last 3 sessions (38 → 35)"


def test_a_fall_just_under_3_below_the_mean_does_not_alert() -> None:
    assert ALLIANCE_DROP not in findings(totals(40, 40, 34, 35.5))  # 38 − 35.5 = 2.5


def test_only_the_last_three_sessions_make_the_mean() -> None:
    # With the 20 the mean of four would be 33.5; the last three alone give 38.
    assert ALLIANCE_DROP in findings(totals(20, 40, 40, 34, 35))


def test_two_earlier_sessions_make_the_mean_early_in_therapy() -> None:
    # Mean of 40 and 34 is 37; 34 → 34 is no drop from last session, but 3 below the mean.
    found = findings(totals(40, 34, 34))
    assert found[ALLIANCE_DROP] == "3 points below the mean of the last 2 sessions (37 → 34)"


def test_one_earlier_session_is_judged_by_the_previous_session_rule_alone() -> None:
    found = findings(totals(40, 37))
    assert found[ALLIANCE_DROP] == "3 points below last session (40 → 37)"


def test_the_first_rating_cannot_be_a_drop() -> None:
    assert ALLIANCE_DROP not in findings(totals(30))


def test_a_rise_is_not_a_drop() -> None:
    assert findings(totals(36, 38)) == {}


# --- Client–therapist disagreement ---------------------------------------------------------------


def test_a_therapist_exactly_4_points_above_the_client_is_a_disagreement() -> None:
    client = items(1, 9, 9, 9, 9)  # 36
    therapist = items(1, 10, 10, 10, 10)  # 40
    assert findings([client], therapist=therapist) == {
        DISAGREEMENT: "Therapist total 40 is 4 points above the client's 36"
    }


def test_a_therapist_3_points_above_the_client_is_not_a_disagreement() -> None:
    assert findings([items(1, 9, 9, 9, 9)], therapist=items(1, 10, 10, 10, 9)) == {}


def test_one_item_exactly_2_points_apart_is_a_disagreement() -> None:
    client = items(1, 10, 8, 10, 10)  # 38
    therapist = items(1, 10, 10, 10, 10)  # 40: 2 on the total, 2 on goals
    assert findings([client], therapist=therapist) == {
        DISAGREEMENT: "Goals: therapist 10, client 8 (2 points apart)"
    }


def test_items_1_point_apart_are_not_a_disagreement() -> None:
    client = items(1, 9, 9, 9, 10)  # 37
    therapist = items(1, 10, 10, 10, 10)  # 40: 3 on the total, 1 on three items
    assert findings([client], therapist=therapist) == {}


def test_a_therapist_rating_lower_than_the_client_is_not_a_disagreement() -> None:
    assert findings([items(1, 10, 10, 10, 10)], therapist=items(1, 5, 5, 5, 5)) == {}


def test_the_therapist_must_rate_the_same_session() -> None:
    with pytest.raises(ValueError, match="therapist's rating is for session 1"):
        findings(totals(38, 38), therapist=items(1, 10, 10, 10, 10))


# --- Child–guardian discrepancy -------------------------------------------------------------------


def test_child_and_guardian_exactly_6_apart_either_way_is_a_discrepancy() -> None:
    low_child = findings(totals(36), guardian=AllianceRating(session_index=1, total=30))
    assert low_child == {
        CHILD_GUARDIAN_DISCREPANCY: "Child total 36 and guardian total 30 differ by 6 points "
        "(practice threshold 6)"
    }
    high_child = findings(totals(40), guardian=AllianceRating(session_index=1, total=34))
    assert CHILD_GUARDIAN_DISCREPANCY in high_child


def test_child_and_guardian_5_apart_is_not_a_discrepancy() -> None:
    assert findings(totals(40), guardian=AllianceRating(session_index=1, total=35)) == {}


def test_a_low_guardian_rating_alone_is_not_a_client_alert() -> None:
    # The guardian's 30 differs by 6, which is the discrepancy; it is not a low client alliance.
    assert set(findings(totals(36), guardian=AllianceRating(session_index=1, total=30))) == {
        CHILD_GUARDIAN_DISCREPANCY
    }


def test_the_guardian_must_rate_the_same_session() -> None:
    with pytest.raises(ValueError, match="guardian's rating is for session 3"):
        findings(totals(38), guardian=AllianceRating(session_index=3, total=38))


# --- Goals and plan review ---------------------------------------------------------------------


def test_goals_rated_exactly_6_suggest_a_plan_review() -> None:
    found = findings([items(1, 10, 6, 10, 10)])  # 36: the total passes
    assert found[GOALS_LOW] == "Client rated goals 6 (at or below 6): review the plan together"
    # The goals item is judged by its own line only: no second alert quoting the item line of 7
    assert LOW_ALLIANCE not in found


def test_goals_rated_7_do_not_suggest_a_plan_review() -> None:
    assert GOALS_LOW not in findings([items(1, 10, 7, 10, 10)])


def test_the_goals_item_is_quoted_with_one_threshold_however_many_rules_fire() -> None:
    found = findings([items(1, 5, 5, 5, 5)])  # 20: low total, bond, approach, overall, goals
    assert "goals" not in found[LOW_ALLIANCE]
    assert found[GOALS_LOW] == "Client rated goals 5 (at or below 6): review the plan together"


# --- Ceiling -----------------------------------------------------------------------------------


def test_the_ceiling_prompt_comes_on_the_4th_maximum_in_a_row() -> None:
    assert findings(totals(40, 40, 40, 40)) == {
        CEILING: "Client gave the maximum 40 for 4 sessions in a row: "
        "invite feedback on what could be better"
    }


def test_no_ceiling_prompt_after_3_maxima_in_a_row() -> None:
    assert findings(totals(40, 40, 40)) == {}
    assert findings(totals(39, 40, 40, 40)) == {}


def test_the_ceiling_prompt_repeats_every_4_maxima_not_every_session() -> None:
    assert CEILING not in findings(totals(*[40] * 5))
    assert CEILING not in findings(totals(*[40] * 7))
    assert CEILING in findings(totals(*[40] * 8))


def test_a_39_starts_the_run_again() -> None:
    assert CEILING not in findings(totals(40, 40, 40, 39, 40, 40, 40))
    assert CEILING in findings(totals(40, 40, 40, 39, 40, 40, 40, 40))


# --- Together ----------------------------------------------------------------------------------


def test_a_good_session_gives_no_findings() -> None:
    history = [items(1, 9, 9, 9, 9), items(2, 10, 9, 9, 10)]
    assert findings(history, therapist=items(2, 9, 9, 9, 9), guardian=items(2, 9, 9, 10, 9)) == {}


def test_findings_come_one_per_kind_in_a_fixed_order_for_the_latest_session() -> None:
    history = [items(1, 10, 10, 10, 10), items(2, 8, 5, 8, 8)]  # 40 → 29
    found = evaluate_session(
        client_history=history,
        therapist=items(2, 10, 10, 10, 10),
        guardian=AllianceRating(session_index=2, total=38),
        settings=DEFAULTS,
    )
    assert [f.kind for f in found] == [
        LOW_ALLIANCE,
        ALLIANCE_DROP,
        DISAGREEMENT,
        CHILD_GUARDIAN_DISCREPANCY,
        GOALS_LOW,
    ]
    assert all(isinstance(f, AlertFinding) and f.session_index == 2 for f in found)
    assert {f.kind for f in found} <= set(KINDS)


def test_an_empty_history_has_nothing_to_evaluate() -> None:
    with pytest.raises(ValueError, match="no client rating"):
        findings([])


def test_a_history_out_of_session_order_is_rejected() -> None:
    with pytest.raises(ValueError, match="session order"):
        findings([*totals(38, start=2), *totals(38, start=1)])


# --- Rupture and repair ------------------------------------------------------------------------


def test_the_baseline_is_the_mean_of_the_last_three_ratings_before_the_rupture() -> None:
    assert baseline(totals(30, 38, 37, 36), DEFAULTS) == 37


def test_with_fewer_earlier_ratings_the_baseline_is_their_mean() -> None:
    assert baseline(totals(38), DEFAULTS) == 38
    assert baseline(totals(38, 35), DEFAULTS) == 36.5


def test_with_no_earlier_rating_there_is_no_baseline() -> None:
    assert baseline([], DEFAULTS) is None


def test_a_rupture_repaired_on_the_last_session_of_the_window() -> None:
    # Baseline 37 (38, 37, 36 at sessions 1–3); rupture at session 4; 37 again at session 7.
    status = rupture_status(
        before=totals(38, 37, 36), after=totals(33, 35, 37, start=5), settings=DEFAULTS
    )
    assert status == RuptureStatus(
        state="repaired", repaired_at_index=7, sessions_to_repair=3, baseline=37, target=37
    )


def test_a_rupture_repaired_one_session_after_the_window_is_unresolved() -> None:
    status = rupture_status(
        before=totals(38, 37, 36), after=totals(33, 35, 36, 37, start=5), settings=DEFAULTS
    )
    assert status.state == "unresolved"
    assert status.repaired_at_index is None and status.sessions_to_repair is None


def test_a_rupture_is_open_while_inside_the_window() -> None:
    for after in ([], totals(33, start=5), totals(33, 36, start=5)):
        status = rupture_status(before=totals(38, 37, 36), after=after, settings=DEFAULTS)
        assert status.state == "open"
        assert status.baseline == 37


def test_repair_means_reaching_the_baseline_not_coming_close() -> None:
    # Baseline (38 + 36 + 36) / 3 = 36.67: a 36 is not enough, a 37 is.
    before = totals(38, 36, 36)
    short = rupture_status(before=before, after=totals(36, 36, 36, start=5), settings=DEFAULTS)
    assert short.state == "unresolved"
    assert short.baseline == short.target == pytest.approx(110 / 3)
    enough = rupture_status(before=before, after=totals(37, start=5), settings=DEFAULTS)
    assert enough.state == "repaired"


def test_the_first_session_after_the_rupture_can_repair_it() -> None:
    status = rupture_status(before=totals(36), after=totals(36, start=3), settings=DEFAULTS)
    assert (status.state, status.sessions_to_repair, status.repaired_at_index) == ("repaired", 1, 3)


def test_without_a_baseline_repair_is_judged_against_the_cut_off() -> None:
    # A rupture in the very first session: no earlier rating, so the target is the practice's 36.
    status = rupture_status(before=[], after=totals(34, 36, start=2), settings=DEFAULTS)
    assert status == RuptureStatus(
        state="repaired", repaired_at_index=3, sessions_to_repair=2, baseline=None, target=36
    )


def test_the_repair_window_is_a_practice_setting() -> None:
    settings = AllianceSettings(repair_window_sessions=4)
    status = rupture_status(
        before=totals(38, 37, 36), after=totals(33, 35, 36, 37, start=5), settings=settings
    )
    assert (status.state, status.sessions_to_repair) == ("repaired", 4)


def test_ratings_after_the_rupture_must_follow_those_before() -> None:
    with pytest.raises(ValueError, match="session order"):
        rupture_status(before=totals(38, 37, start=4), after=totals(36, start=2), settings=DEFAULTS)


def test_the_repair_summary_counts_outcomes_and_the_median_time_to_repair() -> None:
    def repaired(sessions: int) -> RuptureStatus:
        return RuptureStatus("repaired", 10 + sessions, sessions, 37, 37)

    statuses = [
        repaired(1),
        repaired(3),
        repaired(3),
        RuptureStatus("unresolved", None, None, 37, 37),
        RuptureStatus("open", None, None, None, 36),
    ]
    summary = repair_summary(statuses)
    assert summary == RepairSummary(
        opened=5, repaired=3, unresolved=1, median_sessions_to_repair=3.0
    )
    opened, repaired_count, unresolved, median = summary
    assert (opened, repaired_count, unresolved, median) == (5, 3, 1, 3.0)
    assert summary.still_open == 1


def test_the_median_of_an_even_number_of_repairs_is_the_midpoint() -> None:
    statuses = [RuptureStatus("repaired", 5, 1, 37, 37), RuptureStatus("repaired", 8, 2, 37, 37)]
    assert repair_summary(statuses).median_sessions_to_repair == 1.5


def test_with_no_repairs_there_is_no_median() -> None:
    assert repair_summary([]) == RepairSummary(0, 0, 0, None)
    unresolved = RuptureStatus("unresolved", None, None, 37, 37)
    assert repair_summary([unresolved]).median_sessions_to_repair is None
