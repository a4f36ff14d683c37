from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_POST

from rapport import access
from rapport.accounts.decorators import (
    clinical_staff_required,
    record_readers_required,
    role_required,
)
from rapport.accounts.models import Role, User
from rapport.accounts.services import submission_once
from rapport.accounts.views import say_saved
from rapport.alerts.models import Alert
from rapport.alliance.charts import alliance_chart
from rapport.alliance.forms import AllianceSettingsForm, RepairForm, RuptureEditForm, RuptureForm
from rapport.alliance.models import AllianceSettings, Rupture
from rapport.alliance.queries import (
    alliance_by_session,
    alliance_score_range,
    rupture_counts,
    status_of,
    therapist_alliance,
)
from rapport.alliance.services import (
    alliance_settings_update,
    repair_log,
    rupture_open,
    rupture_update,
)
from rapport.audit.services import audit_record
from rapport.charts.layout import LAYOUTS, NARROW, WIDE
from rapport.charts.lines import pixel_size, render_svg
from rapport.core.agreement import MIN_TARGETS, Agreement, agreement
from rapport.measures.models import Response


def _agreement_or_none(pairs: list[tuple[float, float]]) -> Agreement | None:
    """None below the pairs agreement needs; the page then says how many there are."""
    if len(pairs) < MIN_TARGETS:
        return None
    return agreement([a for a, _ in pairs], [b for _, b in pairs])


@record_readers_required
def episode_alliance(request: HttpRequest, episode_id: int) -> HttpResponse:
    """The alliance from every side, session by session, with ruptures and agreement."""
    episode = access.get_episode_for_user(request.user, episode_id)
    rows = alliance_by_session(episode)
    alerts = Alert.objects.filter(episode=episode, session__isnull=False).exclude(kind="risk")
    alerts_by_session: dict[int, list[Alert]] = {}
    for alert in alerts:
        alerts_by_session.setdefault(alert.session_id or 0, []).append(alert)
    ruptures = list(episode.ruptures.select_related("session", "alert").prefetch_related("actions"))
    statuses = {r.pk: status_of(r, rows) for r in ruptures}
    pairs = [
        (float(row.therapist.total or 0), float(row.client.total or 0))
        for row in rows
        if row.client is not None and row.therapist is not None
    ]
    context = {
        "episode": episode,
        "client": episode.client,
        "rows": [(row, alerts_by_session.get(row.session.pk, [])) for row in rows],
        "ruptures": [(r, statuses[r.pk]) for r in ruptures],
        "agreement": _agreement_or_none(pairs),
        "paired": len(pairs),
        "pairs_needed": MIN_TARGETS,
        "can_write": access.record_access(request.user, episode.client_id).write,
    }
    context["scale_high"] = alliance_score_range(episode, rows)[1]
    context["wide"], context["narrow"] = pixel_size(WIDE), pixel_size(NARROW)
    return render(request, "alliance/episode.html", context)


# An SVG shown through <img> never runs script; its own inline styles are all it needs.
SVG_IMAGE_CSP = {"default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE]}


@csp_override(SVG_IMAGE_CSP)
@record_readers_required
def episode_chart(request: HttpRequest, episode_id: int) -> HttpResponse:
    """The alliance over sessions, one line per perspective, with alerts and ruptures marked."""
    episode = access.get_episode_for_user(request.user, episode_id)
    layout = LAYOUTS.get(request.GET.get("layout", "wide"))
    if layout is None:
        raise Http404("No such layout")
    svg = render_svg(alliance_chart(episode), layout=layout)
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def rupture_new(request: HttpRequest, episode_id: int) -> HttpResponse:
    episode = access.get_episode_for_user(request.user, episode_id, write=request.method == "POST")
    form = RuptureForm(request.POST if request.method == "POST" else None, episode=episode)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        key = data.pop("submission_key")

        def record() -> str:
            rupture = rupture_open(actor=request.user, episode=episode, **data)
            return reverse("alliance:rupture_detail", args=[rupture.pk])

        try:
            url, first = submission_once(user=request.user, key=key, perform=record)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            say_saved(request, first, "Rupture recorded. Log what you do to repair it.")
            return redirect(url)
    return render(request, "alliance/rupture_new.html", {"form": form, "episode": episode})


@record_readers_required
@require_http_methods(["GET", "POST"])
def rupture_detail(request: HttpRequest, rupture_id: int) -> HttpResponse:
    rupture = access.get_rupture_for_user(request.user, rupture_id, write=request.method == "POST")
    form = RuptureEditForm(
        request.POST if request.method == "POST" else None,
        instance=Rupture.objects.get(pk=rupture.pk),
    )
    if request.method == "POST" and form.is_valid():
        rupture_update(actor=request.user, rupture=rupture, **form.cleaned_data)
        messages.success(request, "Saved.")
        return redirect("alliance:rupture_detail", rupture_id=rupture.pk)
    return render(
        request,
        "alliance/rupture_detail.html",
        {
            "rupture": rupture,
            "status": status_of(rupture),
            "form": form,
            "repair_form": RepairForm(prefix="repair"),
            "client": rupture.episode.client,
            "can_write": access.record_access(request.user, rupture.episode.client_id).write,
        },
    )


@clinical_staff_required
@require_POST
def repair_new(request: HttpRequest, rupture_id: int) -> HttpResponse:
    rupture = access.get_rupture_for_user(request.user, rupture_id, write=True)
    form = RepairForm(request.POST, prefix="repair")
    if form.is_valid():
        data = dict(form.cleaned_data)
        key = data.pop("submission_key")

        def log() -> str:
            repair_log(actor=request.user, rupture=rupture, **data)
            return reverse("alliance:rupture_detail", args=[rupture.pk])

        try:
            _, first = submission_once(user=request.user, key=key, perform=log)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            say_saved(request, first, "Repair step logged.")
    else:
        messages.error(request, "Choose what you did.")
    return redirect("alliance:rupture_detail", rupture_id=rupture.pk)


@clinical_staff_required
def feedback_inbox(request: HttpRequest) -> HttpResponse:
    """What clients (and guardians) wrote under "what could have been better?"."""
    since = timezone.now() - timedelta(days=60)
    responses = (
        Response.objects.filter(
            episode__client__in=access.clients_in_care_of(request.user),
            assignment__plan__family="feedback",
            completed_at__gte=since,
        )
        .exclude(respondent="therapist")
        .select_related("episode__client", "assignment__session")
        .order_by("-completed_at")[:200]
    )
    items = [
        (r, words)
        for r in responses
        if (words := str(r.answers.get("feedback-better") or "").strip())
    ]
    audit_record(
        actor=request.user,
        action="list",
        object_type="measures.response",
        detail={"view": "feedback_inbox", "responses": [r.pk for r, _ in items]},
    )
    return render(request, "alliance/inbox.html", {"items": items})


def _clinicians_in_view(user: User) -> list[User]:
    if user.role == Role.SUPERVISOR:
        team = User.objects.filter(
            team__supervisor=user, role__in=[Role.CLINICIAN, Role.SUPERVISOR]
        )
        return sorted({*team, user}, key=lambda u: u.full_name)
    return [user]


@clinical_staff_required
def overview(request: HttpRequest) -> HttpResponse:
    """Per therapist: ruptures and repair, and how their ratings agree with their clients'."""
    settings = AllianceSettings.for_practice(request.user.practice_id)
    summaries = [therapist_alliance(c) for c in _clinicians_in_view(request.user)]
    rows = [
        {"clinician": t.clinician, "counts": t.counts, "agreement": _agreement_or_none(t.pairs)}
        for t in summaries
    ]
    total = rupture_counts([status for t in summaries for status in t.statuses])
    overdue = Alert.objects.none()
    if request.user.role == Role.SUPERVISOR:
        cutoff = timezone.now() - timedelta(days=settings.overdue_alert_days)
        overdue = (
            Alert.objects.filter(
                client__in=access.clients_in_care_of(request.user),
                status=Alert.Status.OPEN,
                opened_at__lt=cutoff,
            )
            .select_related("client", "episode__primary_clinician")
            .order_by("opened_at")
        )
    audit_record(
        actor=request.user,
        action="list",
        object_type="alliance.rupture",
        detail={"view": "overview"},
    )
    return render(
        request,
        "alliance/overview.html",
        {
            "rows": rows,
            "total": total,
            "overdue": overdue,
            "settings": settings,
        },
    )


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    settings = AllianceSettings.for_practice(request.user.practice_id)
    form = AllianceSettingsForm(
        request.POST if request.method == "POST" else None, instance=settings
    )
    if request.method == "POST" and form.is_valid():
        alliance_settings_update(actor=request.user, settings=form.save(commit=False))
        messages.success(request, "Alliance alert settings saved.")
        return redirect("alliance:settings")
    return render(request, "alliance/settings.html", {"form": form})
