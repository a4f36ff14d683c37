from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from rapport import access
from rapport.accounts.decorators import (
    clinical_staff_required,
    record_readers_required,
    role_required,
)
from rapport.accounts.models import Role, User
from rapport.care.models import Episode
from rapport.http import AuthenticatedHttpRequest
from rapport.matching import queries
from rapport.matching.forms import (
    ClientPreferencesForm,
    ReviewCompleteForm,
    ReviewOpenForm,
    TherapistProfileForm,
)
from rapport.matching.models import StuckCaseReview, TherapistProfile
from rapport.matching.services import (
    client_preferences_set,
    review_complete,
    review_open,
    therapist_profile_save,
)
from rapport.people.models import Client
from rapport.web import run_form


@clinical_staff_required
@require_POST
def review_new(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    """ "Review this case": from an alert, a rupture, or by hand; then the review's page."""
    episode = access.load(request.user, Episode, episode_id, write=True)
    form = ReviewOpenForm(request.POST)

    def save(data: dict[str, Any]) -> StuckCaseReview:
        alert = rupture = None
        if data["alert"]:
            alert = queries.trigger_of_alert(episode, data["alert"])
            if alert is None:
                raise ValidationError("That alert cannot start a review (it may be resolved).")
        if data["rupture"]:
            rupture = queries.trigger_of_rupture(episode, data["rupture"])
            if rupture is None:
                raise ValidationError("That rupture cannot start a review (it is repaired).")
        return review_open(actor=request.user, episode=episode, alert=alert, rupture=rupture)

    saved = run_form(
        request,
        form,
        save,
        then=lambda review: reverse("matching:review", args=[review.pk]),
        done="Case review opened.",
        once=True,
        refusal_as_message=True,
    )
    if saved is not None:
        return saved
    if not form.is_valid():
        messages.error(request, "The review could not be opened; reload the page and try again.")
    return redirect("people:client_detail", client_id=episode.client_id)


@record_readers_required
@require_http_methods(["GET", "POST"])
def review_detail(request: AuthenticatedHttpRequest, review_id: int) -> HttpResponse:
    """What the data say, the checklist and the decision; once done, the record of it."""
    review = access.load(request.user, StuckCaseReview, review_id, write=request.method == "POST")
    episode = review.episode
    can_write = access.can_write(request.user, review) and review.is_open
    facts = queries.review_facts(episode) if review.is_open else review.facts
    form = ReviewCompleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        saved = run_form(
            request,
            form,
            lambda data: review_complete(
                actor=request.user,
                review=review,
                answers=form.answers(),
                options=data["options"],
                decision=data["decision"],
                follow_up_on=data["follow_up_on"],
                facts=facts,
                today=timezone.localdate(),
            ),
            then=reverse("people:client_detail", args=[episode.client_id]),
            done="Case review saved.",
            once=True,
        )
        if saved is not None:
            return saved
    context = {
        "review": review,
        "episode": episode,
        "client": episode.client,
        "facts": facts,
        "form": form if can_write else None,
        "read_only": not access.can_write(request.user, review),
    }
    return render(request, "matching/review.html", context)


def _profile_page(request: AuthenticatedHttpRequest, therapist: User, *, then: str) -> HttpResponse:
    profile = TherapistProfile.objects.filter(user=therapist).first()
    form = TherapistProfileForm(
        request.POST if request.method == "POST" else None,
        initial=TherapistProfileForm.initial_from(profile),
    )
    saved = run_form(
        request,
        form,
        lambda data: therapist_profile_save(actor=request.user, therapist=therapist, details=data),
        then=then,
        done="Profile saved.",
    )
    if saved is not None:
        return saved
    own = therapist.pk == request.user.pk
    return render(
        request,
        "matching/profile.html",
        {"form": form, "therapist": therapist, "profile": profile, "own": own},
    )


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def profile_own(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A clinician's own therapist profile: what they offer, for matching clients to them."""
    return _profile_page(request, request.user, then=reverse("matching:profile_own"))


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """The practice admin edits a clinician's or supervisor's profile of their practice."""
    therapist = User.objects.filter(
        pk=user_id,
        practice_id=request.user.staff_practice_id,
        role__in=[Role.CLINICIAN, Role.SUPERVISOR],
    ).first()
    if therapist is None:
        raise Http404("Not found")
    return _profile_page(
        request, therapist, then=reverse("matching:profile_edit", args=[therapist.pk])
    )


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    """What the client wants of a therapist, each marked must / prefer / no matter."""
    client = access.load(request.user, Client, client_id, write=request.method == "POST")
    form = ClientPreferencesForm(
        request.POST if request.method == "POST" else None,
        initial=ClientPreferencesForm.initial_from(list(client.therapist_preferences.all())),
    )
    saved = run_form(
        request,
        form,
        lambda data: client_preferences_set(actor=request.user, client=client, items=form.items()),
        then=reverse("people:client_detail", args=[client.pk]),
        done="Preferences saved.",
    )
    if saved is not None:
        return saved
    return render(request, "matching/preferences.html", {"form": form, "client": client})
