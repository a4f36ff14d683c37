"""The fit check's rules: where a request goes, which steps follow, and when Rapport suggests a
fit conversation to the therapist."""

import pytest

from rapport.core import fit_check as rules
from rapport.core.fit_check import Action, Starter, Status, SuggestionSettings, TrackedScore

DEFAULTS = SuggestionSettings()


@pytest.mark.parametrize(
    ("starter", "talk_first", "client_asked", "status"),
    [
        (Starter.CLIENT, True, False, Status.OPEN),
        (Starter.CLIENT, False, False, Status.WITH_COORDINATOR),
        (Starter.GUARDIAN, False, False, Status.WITH_COORDINATOR),
        (Starter.THERAPIST, False, False, Status.AWAITING_APPROVAL),
        (Starter.THERAPIST, False, True, Status.WITH_COORDINATOR),
    ],
)
def test_a_request_goes_to_the_therapist_the_coordinator_or_the_supervisor(
    starter, talk_first, client_asked, status
):
    assert (
        rules.first_status(starter=starter, talk_first=talk_first, client_asked=client_asked)
        is status
    )


def test_only_an_awaiting_request_is_approved_and_a_finished_one_takes_no_step():
    assert rules.next_status(Status.AWAITING_APPROVAL, Action.APPROVE) is Status.APPROVED
    assert rules.next_status(Status.WITH_COORDINATOR, Action.APPROVE) is None
    assert rules.next_status(Status.APPROVED, Action.CLOSE) is Status.CLOSED
    assert all(rules.next_status(Status.CLOSED, a) is None for a in Action)
    assert all(rules.next_status(Status.DECLINED, a) is None for a in Action)


def test_a_portal_request_not_to_be_talked_over_first_is_private():
    assert rules.is_private(starter=Starter.CLIENT, talk_first=False)
    assert not rules.is_private(starter=Starter.CLIENT, talk_first=True)
    assert not rules.is_private(starter=Starter.THERAPIST, talk_first=False)


UNREPAIRED_TRIED = [rules.RuptureState(repaired=False, repair_attempts=1)]


@pytest.mark.parametrize(
    ("low", "ruptures", "suggested"),
    [
        ([False, True, False, True], UNREPAIRED_TRIED, True),  # 2 of the last 3
        ([True, True, False, False], UNREPAIRED_TRIED, False),  # 2 low, but not in the last 3
        ([True, True, True], [rules.RuptureState(repaired=False, repair_attempts=0)], False),
        ([True, True, True], [rules.RuptureState(repaired=True, repair_attempts=2)], False),
    ],
)
def test_low_alliance_suggests_a_fit_conversation_only_with_a_rupture_open_after_repair(
    low, ruptures, suggested
):
    found = rules.suggestion(alliance_low=low, ruptures=ruptures, measures=[], settings=DEFAULTS)
    assert (found is not None) is suggested


def scores(*marks: str) -> list[TrackedScore]:
    """From session 2 on: "o" off track, "." not, "O" off track but reliably better."""
    return [
        TrackedScore(session_number=n, off_track=m in "oO", reliably_better=m == "O")
        for n, m in enumerate(marks, start=2)
    ]


@pytest.mark.parametrize(
    ("marks", "suggested"),
    [
        ("...oo", True),  # sessions 5 and 6
        ("..oo.", False),  # the run ended
        ("..o.o", False),  # not consecutive
        ("oo...", False),  # before session 4 does not count... (sessions 2–3)
        ("...oO", False),  # off track, but reliably better than at the start
    ],
)
def test_off_track_twice_in_a_row_after_session_four_without_improvement_suggests_it(
    marks, suggested
):
    found = rules.suggestion(
        alliance_low=[], ruptures=[], measures=[scores(*marks)], settings=DEFAULTS
    )
    assert (found is not None) is suggested
    if found:
        assert "2 times in a row after session 4" in found.reasons[0]


def test_a_practice_asking_for_more_low_sessions_than_it_looks_at_is_told_why():
    problems = rules.settings_problems(
        SuggestionSettings(alliance_window=3, alliance_low_sessions=4)
    )
    assert "at most 3" in problems["alliance_low_sessions"]
    assert rules.settings_problems(DEFAULTS) == {}
