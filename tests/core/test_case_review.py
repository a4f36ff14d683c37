"""The rules of the stuck-case review: triggers, checklist, follow-up and overdue."""

from __future__ import annotations

from datetime import date, timedelta

from rapport.core import case_review as rules

TODAY = date(2026, 12, 7)


def test_off_track_and_plan_review_alerts_start_a_review_and_a_risk_alert_does_not():
    assert rules.trigger_for_alert("off_track") is rules.Trigger.OFF_TRACK
    assert rules.trigger_for_alert("deterioration") is rules.Trigger.OFF_TRACK
    assert rules.trigger_for_alert("plan_review") is rules.Trigger.PLAN_REVIEW
    assert rules.trigger_for_alert("risk") is None
    assert rules.trigger_for_alert("low_alliance") is None


def test_only_a_rupture_not_yet_repaired_starts_a_review():
    assert rules.rupture_may_start_review("open")
    assert rules.rupture_may_start_review("unresolved")
    assert not rules.rupture_may_start_review("repaired")


def test_the_checklist_is_our_own_six_items_each_answered_with_a_known_answer():
    assert rules.CHECKLIST_KEYS == (
        "alliance",
        "agreement",
        "motivation",
        "life_events",
        "support",
        "approach",
    )
    every = dict.fromkeys(rules.CHECKLIST_KEYS, "fine")
    assert rules.checklist_problems(every) == []
    assert rules.checklist_problems({**every, "support": "maybe"}) == [
        "People around the client: choose fine, a concern or not sure."
    ]
    missing = {k: v for k, v in every.items() if k != "approach"}
    assert rules.checklist_problems(missing) == ["Fit of the approach: answer this item."]


def test_a_follow_up_is_refused_in_the_past_and_beyond_ninety_days():
    assert rules.follow_up_problem(TODAY, today=TODAY) is None
    assert rules.follow_up_problem(TODAY + timedelta(days=90), today=TODAY) is None
    assert rules.follow_up_problem(TODAY - timedelta(days=1), today=TODAY) == (
        "The follow-up date is in the past."
    )
    too_far = rules.follow_up_problem(TODAY + timedelta(days=91), today=TODAY)
    assert too_far is not None and "within 90 days" in too_far


def test_an_open_review_is_overdue_after_a_fortnight_a_done_one_after_its_follow_up():
    def overdue(**given):  # type: ignore[no-untyped-def]
        return rules.overdue_reason(**{"later_review": False, "today": TODAY, **given})

    fortnight = TODAY - timedelta(days=14)
    assert overdue(done=False, opened_on=fortnight, follow_up=None) is None
    assert overdue(done=False, opened_on=fortnight - timedelta(days=1), follow_up=None) == (
        "Opened 22 Nov 2026 and not completed"
    )
    passed = TODAY - timedelta(days=1)
    assert overdue(done=True, opened_on=fortnight, follow_up=TODAY) is None
    assert overdue(done=True, opened_on=fortnight, follow_up=passed) == (
        "Follow-up was due 6 Dec 2026"
    )
    assert overdue(done=True, opened_on=fortnight, follow_up=passed, later_review=True) is None
