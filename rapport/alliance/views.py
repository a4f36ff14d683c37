from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_POST

from rapport import access, consent
from rapport.accounts.decorators import (
    clinical_staff_required,
    record_readers_required,
    role_required,
)
from rapport.accounts.models import Role, User
from rapport.alerts.models import Alert
from rapport.alliance.charts import alliance_chart
from rapport.alliance.forms import AllianceSettingsForm, RepairForm, RuptureEditForm, RuptureForm
from rapport.alliance.models import AllianceSettings, Rupture
from rapport.alliance.queries import (
    BETTER,
    HELPED,
    alliance_by_session,
    alliance_score_range,
    rupture_counts,
    status_of,
    therapist_alliance,
    written,
)
from rapport.alliance.services import (
    alliance_settings_update,
    repair_log,
    rupture_open,
    rupture_update,
)
from rapport.care.models import Episode
from rapport.charts.layout import LAYOUTS, NARROW, WIDE
from rapport.charts.lines import pixel_size, render_svg
from rapport.core.agreement import MIN_TARGETS, Agreement, agreement
from rapport.http import AuthenticatedHttpRequest
from rapport.measures.models import Response
from rapport.web import SVG_IMAGE_CSP, chart_response, run_form


def _agreement_or_none(pairs: list[tuple[float, float]]) -> Agreement | None:
    """None below the pairs agreement needs; the page then says how many there are."""
    if len(pairs) < MIN_TARGETS:
        return None
    return agreement([a for a, _ in pairs], [b for _, b in pairs])


@record_readers_required
def episode_alliance(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    """The alliance from every side, session by session, with ruptures and agreement."""
    episode = access.load(request.user, Episode, episode_id)
    rows = alliance_by_session(episode)
    alerts = consent.viewer_shared(
        Alert.objects.filter(episode=episode, session__isnull=False), episode.client_id
    ).exclude(kind="risk")
    alerts_by_session: dict[int, list[Alert]] = {}
    for alert in alerts:
        alerts_by_session.setdefault(alert.session_id or 0, []).append(alert)
    ruptures = list(
        consent.viewer_shared(episode.ruptures.all(), episode.client_id)
        .select_related("session", "alert")
        .prefetch_related("actions")
    )
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
        "can_write": access.can_write(request.user, episode),
    }
    context["scale_high"] = alliance_score_range(episode, rows)[1]
    context["wide"], context["narrow"] = pixel_size(WIDE), pixel_size(NARROW)
    return render(request, "alliance/episode.html", context)


@csp_override(SVG_IMAGE_CSP)
@record_readers_required
def episode_chart(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    """The alliance over sessions, one line per perspective, with alerts and ruptures marked."""
    episode = access.load(request.user, Episode, episode_id)
    layout = LAYOUTS.get(request.GET.get("layout", "wide"))
    if layout is None:
        raise Http404("No such layout")
    chart = alliance_chart(episode)
    return chart_response(
        request,
        audience="clinician",
        data=(chart, layout),
        draw=partial(render_svg, chart, layout=layout),
    )


@clinical_staff_required
@require_http_methods(["GET", "POST"])
def rupture_new(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = access.load(request.user, Episode, episode_id, write=request.method == "POST")
    form = RuptureForm(request.POST if request.method == "POST" else None, episode=episode)
    saved = run_form(
        request,
        form,
        lambda data: rupture_open(actor=request.user, episode=episode, **data),
        then=lambda rupture: reverse("alliance:rupture_detail", args=[rupture.pk]),
        done=gettext("Rupture recorded. Log what you do to repair it."),
        once=True,
    )
    if saved is not None:
        return saved
    return render(request, "alliance/rupture_new.html", {"form": form, "episode": episode})


@record_readers_required
@require_http_methods(["GET", "POST"])
def rupture_detail(request: AuthenticatedHttpRequest, rupture_id: int) -> HttpResponse:
    rupture = access.load(request.user, Rupture, rupture_id, write=request.method == "POST")
    form = RuptureEditForm(
        request.POST if request.method == "POST" else None,
        instance=access.fresh(rupture),
    )
    saved = run_form(
        request,
        form,
        lambda data: rupture_update(actor=request.user, rupture=rupture, **data),
        then=reverse("alliance:rupture_detail", args=[rupture.pk]),
        done=gettext("Saved."),
    )
    if saved is not None:
        return saved
    return render(
        request,
        "alliance/rupture_detail.html",
        {
            "rupture": rupture,
            "status": status_of(rupture),
            "form": form,
            "repair_form": RepairForm(prefix="repair"),
            "client": rupture.episode.client,
            "can_write": access.can_write(request.user, rupture),
        },
    )


@clinical_staff_required
@require_POST
def repair_new(request: AuthenticatedHttpRequest, rupture_id: int) -> HttpResponse:
    rupture = access.load(request.user, Rupture, rupture_id, write=True)
    form = RepairForm(request.POST, prefix="repair")
    back = reverse("alliance:rupture_detail", args=[rupture.pk])
    saved = run_form(
        request,
        form,
        lambda data: repair_log(actor=request.user, rupture=rupture, **data),
        then=back,
        done=gettext("Repair step logged."),
        once=True,
        refusal_as_message=True,
    )
    if not form.is_valid():
        messages.error(request, gettext("Choose what you did."))
    return saved or redirect(back)


@clinical_staff_required
def feedback_inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What clients (and guardians) wrote in session feedback: what helped, and what could have
    been better."""
    since = timezone.now() - timedelta(days=60)
    responses = (
        consent.consented(request.user, Response.objects.all())
        .filter(
            episode__client__in=access.clients_in_care_of(request.user),
            assignment__plan__family="feedback",
            completed_at__gte=since,
        )
        .exclude(respondent="therapist")
        .select_related("episode__client", "assignment__session")
        .order_by("-completed_at")[:200]
    )
    said = [(r, written(r, HELPED), written(r, BETTER)) for r in responses]
    items = [(r, helped, better) for r, helped, better in said if helped or better]
    access.audit_list(request.user, Response, [r.pk for r, _, _ in items], view="feedback_inbox")
    return render(request, "alliance/inbox.html", {"items": items})


def _clinicians_in_view(user: User) -> list[User]:
    if user.role == Role.SUPERVISOR:
        team = User.objects.filter(
            team__supervisor=user, role__in=[Role.CLINICIAN, Role.SUPERVISOR]
        )
        return sorted({*team, user}, key=lambda u: u.full_name)
    return [user]


@clinical_staff_required
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Per therapist: ruptures and repair, and how their ratings agree with their clients'."""
    settings = AllianceSettings.for_practice(request.user.staff_practice_id)
    summaries = [
        therapist_alliance(c, viewer=request.user) for c in _clinicians_in_view(request.user)
    ]
    rows = [
        {"clinician": t.clinician, "counts": t.counts, "agreement": _agreement_or_none(t.pairs)}
        for t in summaries
    ]
    total = rupture_counts([status for t in summaries for status in t.statuses])
    overdue = Alert.objects.none()
    if request.user.role == Role.SUPERVISOR:
        cutoff = timezone.now() - timedelta(days=settings.overdue_alert_days)
        overdue = (
            consent.consented(request.user, Alert.objects.all())
            .filter(
                client__in=access.clients_in_care_of(request.user),
                status=Alert.Status.OPEN,
                opened_at__lt=cutoff,
            )
            .select_related("client", "episode__primary_clinician")
            .order_by("opened_at")
        )
    access.audit_list(request.user, Rupture, view="overview")
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
def settings_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    settings = AllianceSettings.for_practice(request.user.staff_practice_id)
    form = AllianceSettingsForm(
        request.POST if request.method == "POST" else None, instance=settings
    )
    saved = run_form(
        request,
        form,
        lambda _: alliance_settings_update(actor=request.user, settings=form.save(commit=False)),
        then=reverse("alliance:settings"),
        done=gettext("Alliance alert settings saved."),
    )
    if saved is not None:
        return saved
    return render(request, "alliance/settings.html", {"form": form})
