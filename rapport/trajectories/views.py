from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from rapport import access
from rapport.accounts.decorators import (
    record_readers_required,
    role_required,
)
from rapport.accounts.models import Role
from rapport.care.models import Episode
from rapport.core.instruments.model import family_title
from rapport.core.validation import FLAG_LEVELS, OUTCOMES
from rapport.http import AuthenticatedHttpRequest
from rapport.practices.models import Practice
from rapport.trajectories.forms import TrajectorySettingsForm
from rapport.trajectories.models import ExpectedTrajectory, TrajectorySettings
from rapport.trajectories.queries import (
    client_outcome_families,
    episode_statuses,
    expected_band,
    rule_words,
    trajectory_validation,
)
from rapport.trajectories.refresh import trajectories_refresh
from rapport.trajectories.services import trajectory_settings_update
from rapport.web import run_form

STAFF = (Role.ADMIN, Role.SUPERVISOR, Role.CLINICIAN)
OUTCOME_WORDS = {
    "not_improved": gettext_lazy("no reliable improvement at the last score"),
    "deteriorated": gettext_lazy("reliably worse at the last score"),
}
FLAG_WORDS = {
    "off_track": gettext_lazy("off track"),
    "at_risk": gettext_lazy("at risk or off track"),
}


@role_required(*STAFF)
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each measure's expected trajectory in this practice: model or rule, and on how much data.
    Counts only; no client appears here."""
    practice_id = request.user.staff_practice_id
    families = client_outcome_families(practice_id)
    stored = {e.family: e for e in ExpectedTrajectory.objects.filter(practice_id=practice_id)}
    rows = [
        {"family": family, "title": family_title(found), "expected": stored.get(family)}
        for family, found in sorted(families.items())
    ]
    return render(
        request,
        "trajectories/overview.html",
        {
            "rows": rows,
            "settings": TrajectorySettings.for_practice(practice_id),
            "can_refresh": request.user.role in (Role.ADMIN, Role.SUPERVISOR),
        },
    )


@role_required(Role.ADMIN, Role.SUPERVISOR)
@require_POST
def refresh(request: AuthenticatedHttpRequest) -> HttpResponse:
    practice = Practice.objects.get(pk=request.user.staff_practice_id)
    fitted = trajectories_refresh(practice=practice, actor=request.user)
    models = sum(1 for e in fitted if e.method == "model")
    messages.success(
        request,
        ngettext(
            "Refitted %(n)s measure (%(models)s by model, %(rules)s by rule); "
            "every score was classified again.",
            "Refitted %(n)s measures (%(models)s by model, %(rules)s by rule); "
            "every score was classified again.",
            len(fitted),
        )
        % {"n": len(fitted), "models": models, "rules": len(fitted) - models},
    )
    return redirect("trajectories:overview")


@role_required(*STAFF)
def validation(request: AuthenticatedHttpRequest, family: str) -> HttpResponse:
    """How well early flags predicted final outcomes on this practice's closed episodes."""
    if family not in client_outcome_families(request.user.staff_practice_id):
        raise Http404("No such measure")
    found = trajectory_validation(
        practice_id=request.user.staff_practice_id, family=family, actor=request.user
    )
    tables: list[dict[str, Any]] = []
    if found.report is not None:
        tables = [
            {
                "outcome": OUTCOME_WORDS[outcome],
                "count": found.report.outcome_counts[outcome],
                "rows": [
                    (FLAG_WORDS[level], found.report.results[(outcome, level)])
                    for level in FLAG_LEVELS
                ],
            }
            for outcome in OUTCOMES
        ]
    return render(
        request,
        "trajectories/validation.html",
        {
            "found": found,
            "tables": tables,
            "settings": TrajectorySettings.for_practice(request.user.staff_practice_id),
        },
    )


@record_readers_required
def episode_trajectory(request: AuthenticatedHttpRequest, episode_id: int) -> HttpResponse:
    """Each classified score of the episode, and the expected range for this client."""
    episode = access.load(request.user, Episode, episode_id)
    statuses = episode_statuses(episode)
    families = sorted({s.family for s in statuses})
    titles = client_outcome_families(episode.practice_id)
    bands = [band for f in families if (band := expected_band(episode, f)) is not None]
    return render(
        request,
        "trajectories/episode.html",
        {
            "episode": episode,
            "client": episode.client,
            "groups": [
                (
                    _title(titles, f),
                    [s for s in statuses if s.family == f],
                    rule_words(titles[f][0], episode.practice_id) if f in titles else "",
                )
                for f in families
            ],
            "bands": [
                (
                    family_title(titles[b.family]),
                    b,
                    list(zip(b.sessions, b.p10, b.p25, b.p50, b.p75, b.p90, strict=True)),
                )
                for b in bands
            ],
        },
    )


def _title(titles: dict[str, list[Any]], family: str) -> str:
    return family_title(titles[family]) if family in titles else family


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def settings_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    settings = TrajectorySettings.for_practice(request.user.staff_practice_id)
    form = TrajectorySettingsForm(
        request.POST if request.method == "POST" else None, instance=settings
    )
    saved = run_form(
        request,
        form,
        lambda _: trajectory_settings_update(settings=form.save(commit=False), actor=request.user),
        then=reverse("trajectories:settings"),
        done=gettext("Trajectory settings saved and every score classified again."),
    )
    if saved is not None:
        return saved
    return render(request, "trajectories/settings.html", {"form": form})
