from datetime import date

import pytest

from rapport.core.ages import AgeBand, age_band, age_in_years


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        (date(2014, 6, 1), date(2026, 5, 31), AgeBand.CHILD),  # the day before turning 12
        (date(2013, 6, 1), date(2026, 5, 31), AgeBand.CHILD),  # 12, the day before turning 13
        (date(2013, 6, 1), date(2026, 6, 1), AgeBand.ADOLESCENT),  # 13th birthday
        (date(2008, 6, 2), date(2026, 6, 1), AgeBand.ADOLESCENT),  # 17, a day short of 18
        (date(2008, 6, 1), date(2026, 6, 1), AgeBand.ADULT),  # 18th birthday
    ],
)
def test_age_band_changes_on_the_birthday(born: date, on: date, band: AgeBand) -> None:
    assert age_band(born, on) == band


def test_someone_born_on_29_february_ages_on_1_march_in_common_years() -> None:
    assert age_in_years(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_in_years(date(2008, 2, 29), date(2026, 3, 1)) == 18


def test_a_date_of_birth_in_the_future_is_rejected() -> None:
    with pytest.raises(ValueError, match="after"):
        age_in_years(date(2030, 1, 1), date(2026, 1, 1))
