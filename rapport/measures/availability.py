"""When a client, guardian or clinician may answer an assignment: the rule lives in
rapport.core.schedules; this applies it to stored assignments."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from rapport.care.models import Modality
from rapport.core.schedules import LEAD_HOURS_DEFAULT, FormTiming, form_available, form_opens_at
from rapport.measures.models import Assignment

REMOTE_MODALITIES = (Modality.VIDEO, Modality.PHONE)


def assignment_timing(assignment: Assignment) -> FormTiming:
    if assignment.instrument.kind == "alliance":
        return FormTiming.FEEDBACK
    session = assignment.session
    if assignment.respondent != "therapist" and (
        assignment.remote or (session is not None and session.modality in REMOTE_MODALITIES)
    ):
        return FormTiming.BEFORE
    return FormTiming.IN_SESSION


def lead_hours(assignment: Assignment) -> int:
    plan = assignment.plan
    return plan.lead_hours if plan is not None else LEAD_HOURS_DEFAULT


def assignment_available(assignment: Assignment, *, now: datetime | None = None) -> bool:
    """Whether the assignment may be answered now (a waiting one; completed ones are done)."""
    now = now or timezone.now()
    session = assignment.session
    if session is None:  # at discharge, from home: from when it is due
        return assignment.due_at <= now
    return form_available(
        timing=assignment_timing(assignment),
        now=now,
        session_start=session.scheduled_start,
        attendance=session.attendance,
        lead_hours=lead_hours(assignment),
    )


def not_yet_reason(assignment: Assignment) -> str:
    """Why a form cannot be answered yet, in the words a person needs (times in local time)."""
    session = assignment.session
    if session is None:
        return _("This form is not open yet.")
    timing = assignment_timing(assignment)
    if session.attendance not in ("scheduled", "attended"):
        return _("This session did not take place, so its form is closed.")
    if timing == FormTiming.FEEDBACK:
        return _("Feedback about a session opens once the session has been held.")
    opens = timezone.localtime(
        form_opens_at(
            timing=timing, session_start=session.scheduled_start, lead_hours=lead_hours(assignment)
        ),
        session.episode.practice.zone,
    )
    # Names of days and months in the reader's language, not the server's locale.
    return _("This form opens on %(when)s.") % {"when": date_format(opens, _("D j M Y, H:i"))}


def available_only(
    assignments: Iterable[Assignment], *, now: datetime | None = None
) -> list[Assignment]:
    now = now or timezone.now()
    return [a for a in assignments if assignment_available(a, now=now)]
