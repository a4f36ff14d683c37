from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rapport import access
from rapport.accounts.decorators import role_required
from rapport.accounts.models import Role, User
from rapport.audit.services import audit_record
from rapport.care.models import Attendance, Session
from rapport.http import AuthenticatedHttpRequest
from rapport.measures.answering import answer
from rapport.measures.availability import assignment_available, available_only, not_yet_reason
from rapport.measures.models import Assignment, Response
from rapport.measures.queries import MeasureHistory, score_histories
from rapport.people.models import Client, GuardianLink, TextConsentSource
from rapport.people.queries import own_text_record
from rapport.people.services import texts_consent_set
from rapport.portal.forms import TextsForm
from rapport.web import run_form

# The kinds of appointment as the portal names them (care.models.Modality's labels), listed so
# that the catalogues carry them: the home page translates the label it is given.
MODALITY_WORDS = (
    gettext_noop("In person"),
    gettext_noop("Video"),
    gettext_noop("Phone"),
    gettext_noop("Text / chat"),
)


def _visible_histories(
    user: User, client: Client, link: GuardianLink | None
) -> list[MeasureHistory]:
    """A client sees their own scores; a guardian their own forms, and the young person's
    scores only when the clinician allows it. Free text is never part of a score."""
    episode = client.episodes.filter(status__in=["active", "on_hold"]).first()
    if episode is None:
        return []
    if link is None:
        return score_histories(episode, respondents=("client",))
    histories = score_histories(episode, respondents=("client", "guardian"))
    own_key = f"guardian:{user.pk}"
    return [
        h
        for h in histories
        if (h.respondent == "client" and link.may_see_client_answers)
        or (h.respondent == "guardian" and h.rows[0].response.assignment.respondent_key == own_key)
    ]


@role_required(Role.CLIENT, Role.GUARDIAN)
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What is waiting for a client or guardian, their appointments and their progress."""
    user = request.user
    cards = []
    mine = access.portal_list(user, Assignment).filter(status=Assignment.Status.PENDING)
    for client in access.portal_clients_for(user).select_related("practice"):
        link = client.guardian_link_for(user)
        show_schedule = link is None or link.may_see_schedule
        upcoming = (
            Session.objects.filter(
                episode__client=client,
                attendance=Attendance.SCHEDULED,
                scheduled_start__gte=timezone.now(),
            )
            .select_related("clinician")
            .order_by("scheduled_start")[:3]
            if show_schedule
            else []
        )
        audit_record(actor=user, action="portal_read", obj=client)
        cards.append(
            {
                "client": client,
                "link": link,
                "upcoming": list(upcoming),
                # Only forms that may be answered now: none for a session still to come.
                "waiting": available_only(
                    mine.filter(episode__client=client).select_related(
                        "episode__practice", "session", "plan"
                    )
                ),
                "histories": _visible_histories(user, client, link),
            }
        )
    return render(request, "portal/home.html", {"cards": cards})


@never_cache
@role_required(Role.CLIENT, Role.GUARDIAN)
@require_http_methods(["GET", "POST"])
def assignment(request: AuthenticatedHttpRequest, assignment_id: int) -> HttpResponse:
    """A client or guardian fills in a form while signed in to the portal."""
    item = access.portal_load(request.user, Assignment, assignment_id)
    if not item.is_open:
        return redirect("portal:home")
    if not assignment_available(item):
        messages.info(request, not_yet_reason(item))
        return redirect("portal:home")
    result = answer(
        request,
        item,
        mode=Response.Mode.PORTAL,
        template="portal/answer.html",
        context={"form_action": request.path, "show_draft": True},
    )
    if isinstance(result, Response):
        messages.success(request, _("Thank you — your answers have been sent to your therapist."))
        return redirect("portal:home")
    return result


@never_cache
@role_required(Role.CLIENT, Role.GUARDIAN)
@require_http_methods(["GET", "POST"])
def texts(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A client or guardian gives or withdraws their own yes to texts, and sets their number."""
    record = own_text_record(request.user)
    if record is None:
        raise Http404
    if isinstance(record, Client):
        audit_record(actor=request.user, action="portal_read", obj=record)
    form = TextsForm(
        request.POST if request.method == "POST" else None,
        initial={"texts": "yes" if record.sms_consent else "no", "phone": record.phone},
    )
    saved = run_form(
        request,
        form,
        lambda data: texts_consent_set(
            actor=request.user,
            record=record,
            phone=data["phone"],
            consent=data["texts"] == "yes",
            source=TextConsentSource.PORTAL,
        ),
        then=reverse("portal:texts"),
        done=lambda data: (
            _("Saved: we will text you the links to your forms.")
            if data["texts"] == "yes"
            else _("Saved: we will not text you.")
        ),
        once=True,
    )
    if saved is not None:
        return saved
    return render(request, "portal/texts.html", {"form": form, "record": record})
