from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rapport import access
from rapport.accounts.decorators import (
    clinical_staff_required,
    record_readers_required,
    role_required,
)
from rapport.accounts.models import Role, User
from rapport.audit.services import audit_record
from rapport.care.models import Episode, Session
from rapport.core import candidates as cand
from rapport.core import fit_check as fit_rules
from rapport.http import AuthenticatedHttpRequest
from rapport.matching import queries
from rapport.matching.forms import (
    PREFERENCE_CHOICES,
    ChooseForm,
    ClientPreferencesForm,
    ConsultationForm,
    ConsultationRecordForm,
    DirectoryFilterForm,
    FitCheckSettingsForm,
    FitCheckStepForm,
    OfferForm,
    ReviewCompleteForm,
    ReviewOpenForm,
    TherapistFitCheckForm,
    TherapistProfileForm,
)
from rapport.matching.models import (
    ClientPreference,
    FitCheck,
    FitCheckSettings,
    StuckCaseReview,
    TherapistProfile,
)
from rapport.matching.services import (
    client_preferences_set,
    consultation_book,
    consultation_record,
    fit_check_approve,
    fit_check_choose,
    fit_check_close,
    fit_check_decline,
    fit_check_offer,
    fit_check_request,
    fit_check_settings_update,
    review_complete,
    review_open,
    therapist_profile_save,
)
from rapport.matching.services import fit_suggestion_dismiss as fit_suggestion_dismiss_service
from rapport.matching.wording import (
    CAUTION_WORDS,
    LABEL_WORDS,
    domain_name,
    nobody_said,
    ranking_said,
    signed,
    strength_badges,
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
                raise ValidationError(_("That alert cannot start a review (it may be resolved)."))
        if data["rupture"]:
            rupture = queries.trigger_of_rupture(episode, data["rupture"])
            if rupture is None:
                raise ValidationError(_("That rupture cannot start a review (it is repaired)."))
        return review_open(actor=request.user, episode=episode, alert=alert, rupture=rupture)

    saved = run_form(
        request,
        form,
        save,
        then=lambda review: reverse("matching:review", args=[review.pk]),
        done=_("Case review opened."),
        once=True,
        refusal_as_message=True,
    )
    if saved is not None:
        return saved
    if not form.is_valid():
        messages.error(request, _("The review could not be opened; reload the page and try again."))
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
            done=_("Case review saved."),
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
        done=_("Profile saved."),
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
        done=_("Preferences saved."),
    )
    if saved is not None:
        return saved
    return render(request, "matching/preferences.html", {"form": form, "client": client})


# --- Fit checks ----------------------------------------------------------------------------------


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def fit_check_new(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    """The therapist asks for a fit check: a reason, and the client's words as they recorded
    them; the supervisor approves it unless the client asked."""
    episode = access.load(request.user, Episode, episode_id, write=True)
    form = TherapistFitCheckForm(request.POST if request.method == "POST" else None)
    saved = run_form(
        request,
        form,
        lambda data: fit_check_request(
            actor=request.user,
            episode=episode,
            starter=fit_rules.Starter.THERAPIST,
            words=data["words"],
            reason=data["reason"],
            client_asked=data["client_asked"],
        ),
        then=reverse("people:client_detail", args=[episode.client_id]),
        done=lambda data: (
            _("Fit check sent to the coordinator.")
            if data["client_asked"]
            else _("Fit check sent to your supervisor for approval.")
        ),
        once=True,
    )
    if saved is not None:
        return saved
    return render(
        request,
        "matching/fit_check_new.html",
        {"form": form, "episode": episode, "client": episode.client},
    )


@role_required(Role.SUPERVISOR, Role.ADMIN)
def fit_checks(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The coordinator's list of open fit checks in the practice, and a supervisor's requests
    awaiting approval."""
    user = request.user
    coordinators = queries.coordinators_setting(user.staff_practice_id)
    listed = list(queries.coordinator_fit_checks(user))
    waiting = list(queries.awaiting_approval(user))
    access.audit_list(user, FitCheck, [f.pk for f in listed + waiting], view="fit_checks")
    context = {
        "listed": listed,
        "waiting": waiting,
        "coordinator": access.is_fit_check_coordinator(user, user.staff_practice_id, coordinators),
        "coordinators": FitCheckSettings.Coordinator(coordinators).label.lower(),
    }
    return render(request, "matching/fit_checks.html", context)


@role_required(Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def fit_check_detail(request: AuthenticatedHttpRequest, fit_check_id: int) -> HttpResponse:
    """One fit check: what was asked and by whom; approve or decline it, or close it."""
    user = request.user
    fit_check, may = queries.load_fit_check(user, fit_check_id)
    audit_record(
        actor=user,
        action="write" if request.method == "POST" else "read",
        obj=fit_check,
        client_id=fit_check.episode.client_id,
    )
    form = FitCheckStepForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        steps: dict[fit_rules.Action, tuple[bool, Callable[..., FitCheck], str]] = {
            fit_rules.Action.APPROVE: (may.approve, fit_check_approve, "Approved: sent on."),
            fit_rules.Action.DECLINE: (may.approve, fit_check_decline, "Declined."),
            fit_rules.Action.CLOSE: (may.close, fit_check_close, "Fit check closed."),
        }
        try:
            action = fit_rules.Action(str(form.data.get("action", "")))
        except ValueError:
            return HttpResponseBadRequest("Approve, decline or close.")
        if action not in steps:  # choosing has its own form and route
            return HttpResponseBadRequest("Approve, decline or close.")
        allowed, service, done = steps[action]
        if not allowed:
            raise PermissionDenied("You cannot do this with this fit check.")
        saved = run_form(
            request,
            form,
            lambda data: service(actor=user, fit_check=fit_check, note=data["note"]),
            then=reverse("matching:fit_check", args=[fit_check.pk]),
            done=done,
        )
        if saved is not None:
            return saved
    context = {
        "fit_check": fit_check,
        "client": fit_check.episode.client,
        "may": may,
        "form": form,
        "preferences": _preference_words(fit_check.episode.client),
        "candidates": candidates_section(user, fit_check) if may.coordinate else None,
        # How the consultations went, with the candidates' notes: for the coordinator only.
        "consultations": queries.fit_check_consultations(fit_check)
        if access.is_fit_check_coordinator(
            user,
            fit_check.episode.practice_id,
            queries.coordinators_setting(user.staff_practice_id),
        )
        else None,
    }
    return render(request, "matching/fit_check.html", context)


def _preference_words(client: Client) -> list[tuple[str, str, str]]:
    """What matters to the client, in words: "no matter" answers say nothing to act on, and a
    value chosen from a list is shown as the list says it."""
    rows = []
    for preference in client.therapist_preferences.exclude(
        strength=ClientPreference.Strength.NO_MATTER
    ):
        words = dict(PREFERENCE_CHOICES.get(preference.kind, [])).get(preference.value)
        rows.append(
            (
                preference.get_kind_display(),
                str(words or preference.value),
                preference.get_strength_display().lower(),
            )
        )
    return rows


@clinical_staff_required
@require_POST
def fit_suggestion_dismiss(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    """Set aside Rapport's suggestion of a fit conversation (it returns with newer evidence)."""
    episode = access.load(request.user, Episode, episode_id, write=True)
    fit_suggestion_dismiss_service(actor=request.user, episode=episode)
    messages.success(
        request, _("Suggestion set aside. It comes back if later sessions call for it.")
    )
    return redirect("people:client_detail", client_id=episode.client_id)


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def fit_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Who coordinates fit checks, and when Rapport suggests a fit conversation."""
    settings = FitCheckSettings.for_practice(request.user.staff_practice_id)
    form = FitCheckSettingsForm(
        request.POST if request.method == "POST" else None, instance=settings
    )
    saved = run_form(
        request,
        form,
        lambda _: fit_check_settings_update(actor=request.user, settings=form.save(commit=False)),
        then=reverse("matching:fit_settings"),
        done=_("Fit check settings saved."),
    )
    if saved is not None:
        return saved
    return render(request, "matching/fit_settings.html", {"form": form})


# --- Candidates and the choice (issue 14, part 5) ------------------------------------------


@dataclass(frozen=True)
class CandidateRow:
    candidate: cand.Candidate
    reasons: list[str]  # the ranking's, in the reader's language
    met: list[str]  # "Language: Spanish"
    badges: list[Any]
    cautions: list[str]  # supervisors only
    evidence: list[str]  # supervisors only


def _kind_words(preference: cand.Preference) -> str:
    return str(ClientPreference.Kind(preference.kind.value).label)


def candidates_section(user: User, fit_check: FitCheck) -> dict[str, Any]:
    """The fit check page's candidates for a coordinator: three, each with the preferences it
    meets and a plain badge; reasons, intervals and "less evidence of benefit" for supervisors
    only. Never a list of all therapists by effect."""
    ranking = queries.fit_check_candidates(fit_check)
    supervisor = user.role == Role.SUPERVISOR
    rows = []
    for c in ranking.shown:
        rows.append(
            CandidateRow(
                candidate=c,
                reasons=[ranking_said(reason) for reason in c.reasons],
                met=[f"{_kind_words(p)}: {p.value}" for p in c.met],
                badges=strength_badges(c.strengths),
                cautions=[
                    _("%(domain)s: %(caution)s (80 %% interval %(lower)s to %(upper)s)")
                    % {
                        "domain": domain_name(domain),
                        "caution": CAUTION_WORDS,
                        "lower": signed(e.lower),
                        "upper": signed(e.upper),
                    }
                    for domain, e in c.cautions
                ]
                if supervisor
                else [],
                evidence=[
                    _(
                        "%(domain)s: %(label)s, n = %(n)s, estimate %(estimate)s "
                        "(80 %% interval %(lower)s to %(upper)s)"
                    )
                    % {
                        "domain": domain_name(domain),
                        "label": LABEL_WORDS[e.label],
                        "n": e.n,
                        "estimate": signed(e.estimate),
                        "lower": signed(e.lower),
                        "upper": signed(e.upper),
                    }
                    for domain, e in c.evidence
                ]
                if supervisor
                else [],
            )
        )
    audit_record(
        actor=user,
        action="read",
        obj=fit_check,
        client_id=fit_check.episode.client_id,
        detail={"candidates": [c.therapist.key for c in ranking.shown]},
    )
    return {
        "ranking": ranking,
        "why_preferences_only": ranking_said(ranking.why_preferences_only),
        "nobody": nobody_said(ranking),
        "elevated": [domain_name(d) for d in ranking.elevated],
        "stated": fit_check.episode.client.therapist_preferences.exclude(
            strength=ClientPreference.Strength.NO_MATTER
        ).exists(),
        "rows": rows,
        "supervisor": supervisor,
        "offer_form": OfferForm(),
        "choose_form": ChooseForm(),
        "offered": queries.offered_candidates(fit_check),
        # When nobody passes the filters, the coordinator may choose among those with room.
        "others": [
            p
            for p in queries.practice_profiles(fit_check.episode.practice_id)
            if p.user_id != fit_check.episode.primary_clinician_id and p.capacity > 0
        ]
        if ranking.nobody
        else [],
    }


@role_required(Role.SUPERVISOR, Role.ADMIN)
@require_POST
def fit_check_offer_view(request: AuthenticatedHttpRequest, fit_check_id: int) -> HttpResponse:
    """Offer the three candidates shown to the client, to choose among in the portal."""
    fit_check, may = queries.load_fit_check(request.user, fit_check_id)
    if not may.coordinate:
        raise PermissionDenied("Only the coordinator offers candidates, while choosing.")
    form = OfferForm(request.POST)
    here = reverse("matching:fit_check", args=[fit_check.pk])
    rows = queries.offer_rows(queries.fit_check_candidates(fit_check))
    saved = run_form(
        request,
        form,
        lambda _: fit_check_offer(actor=request.user, fit_check=fit_check, offered=rows),
        then=here,
        done=_("Offered to the client: they choose in their portal."),
        once=True,
        refusal_as_message=True,
    )
    return saved or redirect(here)


@role_required(Role.SUPERVISOR, Role.ADMIN)
@require_POST
def fit_check_choose_view(request: AuthenticatedHttpRequest, fit_check_id: int) -> HttpResponse:
    """The coordinator records the client's choice, where the client prefers them to choose."""
    fit_check, may = queries.load_fit_check(request.user, fit_check_id)
    if not may.coordinate:
        raise PermissionDenied("Only the coordinator chooses for the client, while choosing.")
    form = ChooseForm(request.POST)
    here = reverse("matching:fit_check", args=[fit_check.pk])

    def save(data: dict[str, Any]) -> FitCheck:
        clinician = User.objects.filter(
            pk=data["clinician"], practice_id=fit_check.episode.practice_id
        ).first()
        if clinician is None:
            raise ValidationError(_("Choose one of the practice's therapists."))
        return fit_check_choose(actor=request.user, fit_check=fit_check, clinician=clinician)

    saved = run_form(
        request,
        form,
        save,
        then=here,
        done=_("New therapist chosen. The handoff comes next."),
        once=True,
        refusal_as_message=True,
    )
    return saved or redirect(here)


@role_required(Role.SUPERVISOR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def consultation_new(request: AuthenticatedHttpRequest, fit_check_id: int) -> HttpResponse:
    """Book a short consultation of the client with one of the candidates."""
    fit_check, may = queries.load_fit_check(request.user, fit_check_id)
    if not may.coordinate:
        raise PermissionDenied("Only the coordinator books consultations, while choosing.")
    ranking = queries.fit_check_candidates(fit_check)
    offered = {u.pk: u.full_name for u, _s, _m in queries.offered_candidates(fit_check)}
    choices = {c.therapist.key: c.therapist.name for c in ranking.shown} | offered
    form = ConsultationForm(
        request.POST if request.method == "POST" else None, candidates=list(choices.items())
    )
    here = reverse("matching:fit_check", args=[fit_check.pk])

    def save(data: dict[str, Any]) -> Any:
        clinician = User.objects.get(pk=data["clinician"])
        return consultation_book(
            actor=request.user,
            fit_check=fit_check,
            clinician=clinician,
            scheduled_start=data["scheduled_start"],
            duration_minutes=data["duration_minutes"],
            modality=data["modality"],
        )

    saved = run_form(request, form, save, then=here, done=_("Consultation booked."), once=True)
    if saved is not None:
        return saved
    return render(
        request,
        "matching/consultation_new.html",
        {"form": form, "fit_check": fit_check, "client": fit_check.episode.client},
    )


@clinical_staff_required
@require_http_methods(["GET"])
def consultations(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A therapist's consultations with clients who may come to them, to record how each went."""
    rows = list(queries.own_consultations(request.user))
    access.audit_list(request.user, Session, [s.pk for s in rows], view="consultations")
    return render(request, "matching/consultations.html", {"rows": rows})


@role_required(Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def consultation_record_view(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    """The candidate therapist (or the coordinator) records once how a consultation went."""
    session = queries.load_consultation(request.user, session_id)
    record = getattr(session, "consultation_record", None)
    audit_record(
        actor=request.user,
        action="write" if request.method == "POST" else "read",
        obj=session,
        client_id=session.episode.client_id,
    )
    form = ConsultationRecordForm(request.POST if request.method == "POST" else None)
    saved = run_form(
        request,
        form,
        lambda data: consultation_record(actor=request.user, session=session, **data),
        then=reverse("matching:consultation_record", args=[session.pk]),
        done=_("Recorded. The coordinator sees it on the fit check."),
        once=True,
    )
    if saved is not None:
        return saved
    context = {"session": session, "client": session.episode.client, "record": record}
    return render(request, "matching/consultation_record.html", context | {"form": form})


@role_required(Role.SUPERVISOR, Role.ADMIN)
def directory(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The practice's therapists and what they offer, filtered; characteristics only of those
    who consented to show them. No measured effects here: this is not a league table."""
    form = DirectoryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    profiles = queries.directory(request.user.staff_practice_id, filters)
    context = {
        "form": form,
        "profiles": profiles,
        "characteristics": sorted(cand.CHARACTERISTICS),
        "characteristics_used": any(filters.get(name) for name in cand.CHARACTERISTICS),
    }
    return render(request, "matching/directory.html", context)
