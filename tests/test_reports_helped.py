"""What the client said helped, in the progress reports: the client's own words in their copy,
a guardian's own in theirs, a young person's only where the guardian's link shares them, and
everyone's in the clinician's report."""

from __future__ import annotations

from django.urls import reverse

from rapport.measures.services import response_submit, session_assignments_ensure
from rapport.people.models import GuardianLink
from tests.conftest import Cast, make_session, signed_in

TEEN_WORDS = "Talking about school without my mum in the room."
GUARDIAN_WORDS = "Hearing how to help with the mornings."
ADULT_WORDS = "Writing the worries down together."
OLDER_WORDS = "Being listened to."


def said_helped(session, respondent: str, words: str) -> None:  # type: ignore[no-untyped-def]
    [assignment] = [
        a
        for a in session_assignments_ensure(session=session)
        if a.plan.family == "feedback" and a.respondent == respondent
    ]
    answers = {f"feedback-{k}": "8" for k in ("bond", "goals", "approach", "overall")}
    response_submit(
        assignment=assignment,
        answers={**answers, "feedback-helped": words},
        mode="in_session",
        actor=None,
    )


def progress(user, episode, audience: str = "") -> str:  # type: ignore[no-untyped-def]
    url = reverse("reports:progress", args=[episode.pk])
    page = signed_in(user).get(url + (f"?audience={audience}" if audience else ""))
    assert page.status_code == 200
    return page.content.decode()


def teen_feedback(cast: Cast) -> None:
    session = make_session(cast.adolescent_episode, days_from_now=-1, held=True)
    said_helped(session, "client", TEEN_WORDS)
    said_helped(session, "guardian", GUARDIAN_WORDS)


def test_the_clients_copy_shows_their_own_words_newest_first_dated_by_session(cast: Cast) -> None:
    older = make_session(cast.adult_episode, days_from_now=-14, held=True)
    newer = make_session(cast.adult_episode, days_from_now=-7, held=True)
    said_helped(older, "client", OLDER_WORDS)
    said_helped(newer, "client", ADULT_WORDS)

    for page in (
        progress(cast.adult_client_user, cast.adult_episode),
        progress(cast.clinician, cast.adult_episode, "client"),
    ):
        assert "What you said helped" in page
        assert page.index(ADULT_WORDS) < page.index(OLDER_WORDS)
        assert f"{newer.scheduled_start:%-d %B %Y}" in page


def test_a_guardians_copy_keeps_the_young_persons_words_back_but_shows_their_own(
    cast: Cast,
) -> None:
    teen_feedback(cast)

    page = progress(cast.guardian, cast.adolescent_episode)

    assert GUARDIAN_WORDS in page
    assert TEEN_WORDS not in page
    assert "own words stay between" in page


def test_a_guardians_copy_shows_the_young_persons_words_only_when_the_link_shares_them(
    cast: Cast,
) -> None:
    teen_feedback(cast)
    link = GuardianLink.objects.filter(pk=cast.guardian_link.pk)

    link.update(may_see_client_answers=True, may_see_client_free_text=False)
    assert TEEN_WORDS not in progress(cast.guardian, cast.adolescent_episode)
    link.update(may_see_client_free_text=True)
    assert TEEN_WORDS in progress(cast.guardian, cast.adolescent_episode)


def test_the_young_persons_own_copy_leaves_out_what_their_guardian_wrote(cast: Cast) -> None:
    teen_feedback(cast)

    page = progress(cast.adolescent_client_user, cast.adolescent_episode)

    assert TEEN_WORDS in page and GUARDIAN_WORDS not in page


def test_the_clinicians_report_shows_what_helped_from_each_side_with_who_said_it(
    cast: Cast,
) -> None:
    teen_feedback(cast)

    page = progress(cast.clinician, cast.adolescent_episode)

    assert "What helped, in their words" in page
    assert TEEN_WORDS in page and GUARDIAN_WORDS in page
    assert cast.guardian.full_name in page
