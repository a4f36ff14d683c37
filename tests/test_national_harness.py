"""The national generator's practice sizes (the run itself is `python -m rapport.harness.national`,
minutes long, kept out of the suite)."""

import pytest

from rapport.harness.national import practice_sizes


@pytest.mark.parametrize("practices", [2, 20, 200])
def test_practices_share_every_episode_and_the_largest_holds_about_one_over_root_p(practices):
    sizes = practice_sizes(90_909, practices)
    assert sum(sizes) == 90_909
    assert sizes[0] == max(sizes)
    assert sizes[0] / 90_909 == pytest.approx(practices**-0.5, rel=0.01)
    assert min(sizes) >= 1
