from __future__ import annotations

from functools import partial

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csp import csp_override

from rapport import access
from rapport.accounts.decorators import role_required
from rapport.accounts.models import Role
from rapport.care.models import Episode
from rapport.charts.layout import LAYOUTS, NARROW, WIDE, Layout
from rapport.charts.progress import ProgressChart, chart_size, render_progress_svg
from rapport.http import AuthenticatedHttpRequest
from rapport.measures.queries import subscale_rows
from rapport.progress.charts import (
    clinician_chart,
    direction_words,
    family_table,
    plain_summary,
    portal_chart,
    revision_words,
    unplaced_alerts,
)
from rapport.progress.queries import episode_progress, portal_progress
from rapport.web import SVG_IMAGE_CSP, chart_response, remembered_chart, shown_chart_url

# Break-glass admins read the record like the client page; the access helpers decide.
READERS = (Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN)


def _chart_sources(
    request: HttpRequest, url: str, chart: ProgressChart, *, audience: str
) -> dict[str, str]:
    """The addresses of the page's chart, one per layout, each naming the version the page read
    (so its request does not read the data again)."""
    return {
        name: shown_chart_url(
            request,
            url,
            audience=audience,
            data=(chart, layout),
            draw=partial(render_progress_svg, chart, layout=layout),
            **({} if layout is WIDE else {"layout": name}),
        )
        for name, layout in LAYOUTS.items()
    }


def _draw_remembered(data: tuple[ProgressChart, Layout]) -> bytes:
    chart, layout = data
    return render_progress_svg(chart, layout=layout)


def _svg_response(request: HttpRequest, chart: ProgressChart, *, audience: str) -> HttpResponse:
    layout = LAYOUTS.get(request.GET.get("layout", "wide"))
    if layout is None:
        raise Http404("No such layout")
    return chart_response(
        request,
        audience=audience,
        data=(chart, layout),
        draw=partial(render_progress_svg, chart, layout=layout),
    )


@role_required(*READERS)
def episode_progress_page(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    """Scores over sessions against the expected band, with alerts, plan revisions and the
    alliance; the same figures in a table under the chart, for screen readers and print."""
    episode = access.load(request.user, Episode, episode_id)
    progress = episode_progress(episode)
    families = [
        {
            "family": family,
            "direction": direction_words(family),
            "rows": family_table(family),
            "unplaced_alerts": unplaced_alerts(family),
            "subscales": subscale_rows(family.instrument, family.series),
        }
        for family in progress.families
    ]
    chart = clinician_chart(progress)
    return render(
        request,
        "progress/episode.html",
        {
            "episode": episode,
            "client": episode.client,
            "progress": progress,
            "families": families,
            "revisions": [(r, revision_words(r.x)) for r in progress.revisions],
            "reviews": [(r, revision_words(r.x)) for r in progress.reviews],
            "wide": chart_size(chart, WIDE),
            "narrow": chart_size(chart, NARROW),
            "chart_src": _chart_sources(
                request, reverse("progress:chart", args=[episode.pk]), chart, audience="clinician"
            ),
        },
    )


@csp_override(SVG_IMAGE_CSP)
@role_required(*READERS)
def episode_chart(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    episode = access.load(request.user, Episode, episode_id)
    remembered = remembered_chart(request, _draw_remembered)
    if remembered is not None:
        return remembered
    return _svg_response(request, clinician_chart(episode_progress(episode)), audience="clinician")


@role_required(Role.CLIENT, Role.GUARDIAN)
def portal_page(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    """The simplified version: the client's own scores in plain words, for a client or a
    guardian allowed to see them."""
    client = access.get_portal_client_for_user(request.user, client_id)
    progress = portal_progress(request.user, client, client.guardian_link_for(request.user))
    families = [
        {
            "family": family,
            "rows": family_table(family, simplified=True),
            "summaries": [plain_summary(series, family) for series in family.series],
        }
        for family in progress.families
    ]
    chart = portal_chart(progress)
    return render(
        request,
        "progress/portal.html",
        {
            "client": client,
            "progress": progress,
            "families": families,
            "wide": chart_size(chart, WIDE),
            "narrow": chart_size(chart, NARROW),
            "chart_src": _chart_sources(
                request,
                reverse("progress:portal_chart", args=[client.pk]),
                chart,
                audience="portal",
            ),
        },
    )


@csp_override(SVG_IMAGE_CSP)
@role_required(Role.CLIENT, Role.GUARDIAN)
def portal_chart_svg(request: AuthenticatedHttpRequest, client_id: int) -> HttpResponse:
    client = access.get_portal_client_for_user(request.user, client_id)
    remembered = remembered_chart(request, _draw_remembered)
    if remembered is not None:
        return remembered
    progress = portal_progress(request.user, client, client.guardian_link_for(request.user))
    return _svg_response(request, portal_chart(progress), audience="portal")
