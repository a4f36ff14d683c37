"""The coordinator's side of finding a new therapist (issue 14, part 5): the candidates on a fit
check's page, offering them to the client, a consultation with one, choosing for the client;
and the practice's therapist directory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from rapport import access
from rapport.accounts.decorators import role_required
from rapport.accounts.models import Role, User
from rapport.audit.services import audit_record
from rapport.core import candidates as cand
from rapport.http import AuthenticatedHttpRequest
from rapport.matching import queries
from rapport.matching.forms import ChooseForm, ConsultationForm, DirectoryFilterForm, OfferForm
from rapport.matching.models import ClientPreference, FitCheck
from rapport.matching.services import consultation_book, fit_check_choose, fit_check_offer
from rapport.matching.words import CAUTION_WORDS, domain_name, strength_badges
from rapport.web import run_form


def load_fit_check(user: User, fit_check_id: int) -> tuple[FitCheck, access.FitCheckAccess]:
    """The fit check and what this staff member may do with it; 404 (audited) when they may
    not see it."""
    fit_check = (
        FitCheck.objects.filter(pk=fit_check_id, episode__practice_id=user.staff_practice_id)
        .select_related(*FitCheck.access_select_related)
        .first()
    )
    if fit_check is None:
        raise access.fit_check_deny(user, FitCheck, fit_check_id)
    may = access.fit_check_access(
        user, fit_check, coordinators=queries.coordinators_setting(user.staff_practice_id)
    )
    if not may.see:
        raise access.fit_check_deny(user, FitCheck, fit_check_id)
    return fit_check, may


@dataclass(frozen=True)
class CandidateRow:
    candidate: cand.Candidate
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
                met=[f"{_kind_words(p)}: {p.value}" for p in c.met],
                badges=strength_badges(c.strengths),
                cautions=[
                    f"{domain_name(domain)}: {CAUTION_WORDS} "
                    f"(80 % interval {e.lower:+.2f} to {e.upper:+.2f})"
                    for domain, e in c.cautions
                ]
                if supervisor
                else [],
                evidence=[
                    f"{domain_name(domain)}: {e.label.value}, n = {e.n}, "
                    f"estimate {e.estimate:+.2f} "
                    f"(80 % interval {e.lower:+.2f} to {e.upper:+.2f})"
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
    fit_check, may = load_fit_check(request.user, fit_check_id)
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
        done="Offered to the client: they choose in their portal.",
        once=True,
        refusal_as_message=True,
    )
    return saved or redirect(here)


@role_required(Role.SUPERVISOR, Role.ADMIN)
@require_POST
def fit_check_choose_view(request: AuthenticatedHttpRequest, fit_check_id: int) -> HttpResponse:
    """The coordinator records the client's choice, where the client prefers them to choose."""
    fit_check, may = load_fit_check(request.user, fit_check_id)
    if not may.coordinate:
        raise PermissionDenied("Only the coordinator chooses for the client, while choosing.")
    form = ChooseForm(request.POST)
    here = reverse("matching:fit_check", args=[fit_check.pk])

    def save(data: dict[str, Any]) -> FitCheck:
        clinician = User.objects.filter(
            pk=data["clinician"], practice_id=fit_check.episode.practice_id
        ).first()
        if clinician is None:
            raise ValidationError("Choose one of the practice's therapists.")
        return fit_check_choose(actor=request.user, fit_check=fit_check, clinician=clinician)

    saved = run_form(
        request,
        form,
        save,
        then=here,
        done="New therapist chosen. The handoff comes next.",
        once=True,
        refusal_as_message=True,
    )
    return saved or redirect(here)


@role_required(Role.SUPERVISOR, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def consultation_new(request: AuthenticatedHttpRequest, fit_check_id: int) -> HttpResponse:
    """Book a short consultation of the client with one of the candidates."""
    fit_check, may = load_fit_check(request.user, fit_check_id)
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

    saved = run_form(request, form, save, then=here, done="Consultation booked.", once=True)
    if saved is not None:
        return saved
    return render(
        request,
        "matching/consultation_new.html",
        {"form": form, "fit_check": fit_check, "client": fit_check.episode.client},
    )


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
