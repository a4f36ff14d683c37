"""Opening a link from home: the read of what the token opens, and, when it opens nothing, the
failure counted for the address in its own short write."""

from __future__ import annotations

from django.utils import timezone

from rapport.audit.services import audit_record
from rapport.measures.models import AccessLink
from rapport.measures.queries import LinkUnusable, link_opened
from rapport.measures.services import link_failure_record


def link_resolve(token: str, *, ip_address: str, reading: bool = False) -> AccessLink:
    """The link a token opens, or LinkUnusable with a reason that reveals nothing clinical.

    A token that opens nothing counts as a failure for its address (see link_rate_limited);
    a working token is never refused, however many failures its address has. `reading`: the
    form is being shown (a GET), which the audit trail records as the link's opening.
    """
    now = timezone.now()
    try:
        link = link_opened(token, now=now)
    except LinkUnusable as problem:
        problem.throttled = link_failure_record(ip_address=ip_address, now=now)
        raise
    if not reading:
        return link  # a submission is audited as the write it is
    # Whoever holds the link reads the form (and any draft): audited like every clinical read,
    # and the trail is how a practice sees which forms were opened but not finished.
    episode = link.assignment.episode
    audit_record(
        actor=None,
        action="link_open",
        obj=link.assignment,
        client_id=episode.client_id,
        practice_id=episode.practice_id,
    )
    return link
