"""Stuck-case reviews and fit checks for the matrix: an open review, opened by hand by the
primary clinician, in the own (adult), other (outsider's) and foreign episodes; a private fit
check the adult client sent to the coordinator (own_private_fit), the clinician's own request
awaiting the supervisor (own_therapist_fit) and a private one in the other practice; a handoff
of the adult client from the clinician to the outsider (the receiving therapist), begun by the
coordinator from the private fit check and waiting for the client's consent (own_handoff); a
consultation of the adult client with the outsider, booked from that fit check
(own_consultation).
For the adolescent, made by the cases that need them (not in the cast, whose counts other tests
rely on): their guardian's private request, offered the outsider, for the guardian to choose
from (teen_guardian_fit), and the young person's own private request, offered the outsider too,
with a handoff waiting for the young person's consent (teen_handoff)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from rapport.accounts.models import User
from rapport.matching.handoff_models import Handoff
from rapport.matching.handoff_services import handoff_begin
from rapport.matching.models import FitCheck
from rapport.matching.services import (
    consultation_book,
    fit_check_offer,
    fit_check_request,
    review_open,
    therapist_profile_save,
)
from tests.authorization.matrix_cast import MatrixCast

PRIVATE_WORDS = "PRIVATE-FIT-WORDS-7c1e"


def add_matching(cast: MatrixCast) -> None:
    for name, episode in (
        ("own", cast.adult_episode),
        ("other", cast.other_episode),
        ("foreign", cast.foreign_episode),
    ):
        cast.extra[f"{name}_review"] = review_open(actor=episode.primary_clinician, episode=episode)
    cast.extra["own_private_fit"] = fit_check_request(
        actor=cast.adult_client_user,
        episode=cast.adult_episode,
        starter="client",
        words=PRIVATE_WORDS,
    )
    cast.extra["own_therapist_fit"] = fit_check_request(
        actor=cast.clinician,
        episode=cast.adult_episode,
        starter="therapist",
        words="She says she needs someone who works in the evenings.",
        reason="practical",
    )
    cast.extra["foreign_fit"] = fit_check_request(
        actor=cast.foreign_clinician,
        episode=cast.foreign_episode,
        starter="therapist",
        words="The client asked for a therapist who speaks Spanish.",
        reason="practical",
        client_asked=True,
    )
    # The outsider clinician (same practice, another team) is a candidate for the adult client:
    # a profile with an open place, offered to the client in the private fit check.
    therapist_profile_save(
        actor=cast.outsider_clinician,
        therapist=cast.outsider_clinician,
        details={
            "languages": ["English"],
            "populations": ["adults", "adolescents"],
            "modalities": ["video"],
            "capacity": 2,
        },
    )
    cast.extra["own_private_fit"] = fit_check_offer(
        actor=cast.supervisor,
        fit_check=cast.extra["own_private_fit"],
        offered=[{"clinician": cast.outsider_clinician.pk, "strengths": [], "met": []}],
    )
    # A consultation of the adult client with the outsider (the candidate), in three days.
    cast.extra["own_consultation"] = consultation_book(
        actor=cast.supervisor,
        fit_check=cast.extra["own_private_fit"],
        clinician=cast.outsider_clinician,
        scheduled_start=timezone.now() + timedelta(days=3),
        duration_minutes=20,
        modality="video",
    )
    cast.extra["own_handoff"] = handoff_begin(
        actor=cast.supervisor,
        fit_check=cast.extra["own_private_fit"],
        to_clinician=cast.outsider_clinician,
    )


def _teen_fit(cast: MatrixCast, person: User, starter: str) -> FitCheck:
    """A private request about the adolescent, offered the outsider: made once per test."""
    teen = cast.adolescent_episode
    found = FitCheck.objects.filter(episode=teen, requested_by=person).first()
    if found is not None:
        return found
    asked = fit_check_request(
        actor=person, episode=teen, starter=starter, words="Sessions do not help any more."
    )
    offer = [{"clinician": cast.outsider_clinician.pk, "strengths": [], "met": []}]
    return fit_check_offer(actor=cast.supervisor, fit_check=asked, offered=offer)


def teen_guardian_fit(cast: MatrixCast) -> int:
    return _teen_fit(cast, cast.guardian, "guardian").pk


def teen_handoff(cast: MatrixCast) -> int:
    fit_check = _teen_fit(cast, cast.adolescent_client_user, "client")
    found = Handoff.objects.filter(fit_check=fit_check).first()
    if found is None:
        found = handoff_begin(
            actor=cast.supervisor, fit_check=fit_check, to_clinician=cast.outsider_clinician
        )
    return found.pk


def teen_client(cast: MatrixCast) -> int:
    """The adolescent, once their handoff exists."""
    teen_handoff(cast)
    return cast.adolescent_client.pk
