import pytest

from rapport.core.schedules import completed_remotely, due_at_session


def test_every_session_measures_are_due_at_every_session() -> None:
    assert all(due_at_session("every_session", session_number=n) for n in range(1, 20))


def test_every_third_session_falls_on_sessions_one_four_and_seven() -> None:
    due = [
        n for n in range(1, 10) if due_at_session("every_n_sessions", session_number=n, every_n=3)
    ]
    assert due == [1, 4, 7]


def test_intake_measures_are_due_at_the_first_session_only() -> None:
    due = [n for n in range(1, 6) if due_at_session("intake_discharge", session_number=n)]
    assert due == [1]


def test_between_session_measures_are_due_each_time_and_done_from_home() -> None:
    assert due_at_session("between_sessions", session_number=5)
    assert completed_remotely("between_sessions")
    assert not completed_remotely("every_session")


@pytest.mark.parametrize(("number", "every_n"), [(0, 1), (1, 0)])
def test_impossible_session_numbers_and_intervals_are_rejected(number: int, every_n: int) -> None:
    with pytest.raises(ValueError):
        due_at_session("every_n_sessions", session_number=number, every_n=every_n)


def test_an_unknown_schedule_is_rejected() -> None:
    with pytest.raises(ValueError):
        due_at_session("fortnightly", session_number=1)
