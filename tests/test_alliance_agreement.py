"""How the therapist's and the client's alliance totals agree, as the episode page shows it."""

from django.urls import reverse

from tests.test_alliance import past_sessions, rate


def rate_sessions(episode, client: list[int], therapist: list[int]) -> None:
    for session, mine, theirs in zip(
        past_sessions(episode, len(client)), client, therapist, strict=True
    ):
        rate(session, "client", mine)
        rate(session, "therapist", theirs)


def test_constant_totals_that_differ_show_the_gap_and_say_the_icc_cannot_be_estimated(cast, web_as):
    # The client always at the ceiling, the therapist always a little lower: a common pattern.
    rate_sessions(cast.adult_episode, client=[10, 10, 10, 10], therapist=[9, 9, 9, 9])
    page = web_as(cast.clinician).get(reverse("alliance:episode", args=[cast.adult_episode.pk]))
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "the therapist rated 4.0 points lower than the client" in text
    assert "every session got the same total from each side" in text


def test_two_paired_sessions_are_too_few_and_the_page_says_so(cast, web_as):
    rate_sessions(cast.adult_episode, client=[8, 9], therapist=[9, 9])
    page = web_as(cast.clinician).get(reverse("alliance:episode", args=[cast.adult_episode.pk]))
    assert page.status_code == 200
    assert "at least 3 sessions rated by both" in " ".join(page.text.split())


def test_the_overview_shows_a_therapist_whose_totals_never_vary(cast, web_as):
    rate_sessions(cast.adult_episode, client=[10, 10, 10], therapist=[9, 9, 9])
    page = web_as(cast.clinician).get(reverse("alliance:overview"))
    assert page.status_code == 200
    assert "not estimable" in page.text


def test_a_therapist_rating_lower_on_average_is_told_by_how_much_without_a_minus_sign(cast, web_as):
    rate_sessions(cast.adult_episode, client=[10, 10, 7], therapist=[9, 9, 7])
    page = web_as(cast.clinician).get(reverse("alliance:episode", args=[cast.adult_episode.pk]))
    text = " ".join(page.text.split())
    assert "the therapist rated 2.7 points lower than the client on average" in text
    assert "Session by session, the two sides' totals agree" in text
    assert "intraclass correlation" in text
