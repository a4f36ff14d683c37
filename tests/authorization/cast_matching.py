"""Stuck-case reviews and fit checks for the matrix: an open review, opened by hand by the
primary clinician, in the own (adult), other (outsider's) and foreign episodes; a private fit
check the adult client sent to the coordinator (own_private_fit), the clinician's own request
awaiting the supervisor (own_therapist_fit) and a private one in the other practice; a handoff
of the adult client from the clinician to the outsider (the receiving therapist), begun by the
coordinator from the private fit check and waiting for the client's consent (own_handoff); a
consultation of the adult client with the outsider, booked from that fit check
(own_consultation)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from rapport.matching.handoff_services import handoff_begin
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
