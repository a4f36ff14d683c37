"""Measure links for the load and fault runs: `python -m rapport.harness.prepare N FILE`.

Makes N waiting PHQ-9 assignments for adult clients of the demo practice's open episodes, each
with a fresh single-use link, and writes the tokens (with their assignment ids) to FILE as
JSON. Bulk-created: these are test fixtures, not clinical events, so they are not audited; the
submissions made through them are, like any other.

`python -m rapport.harness.prepare --discard FILE` deletes the fixtures of FILE nobody answered,
so that one load round's leftovers do not weigh on the next round's pages.
"""

from __future__ import annotations

import json
import secrets
import sys
from datetime import timedelta
from pathlib import Path


def make_links(count: int) -> list[dict[str, object]]:
    from django.db import transaction
    from django.utils import timezone

    from rapport.care.models import Episode, EpisodeStatus
    from rapport.core.ages import AgeBand
    from rapport.core.tokens import hash_token
    from rapport.measures.models import AccessLink, Assignment

    episodes = [
        e
        for e in Episode.objects.exclude(status=EpisodeStatus.CLOSED).select_related("client")
        if e.client.age_band() == AgeBand.ADULT
    ]
    if not episodes:
        raise SystemExit("no open episode of an adult client: load the demo practice first")
    now = timezone.now()
    tokens = [secrets.token_urlsafe(32) for _ in range(count)]
    made: list[dict[str, object]] = []
    with transaction.atomic():
        for start in range(0, count, 1000):
            chunk = range(start, min(count, start + 1000))
            assignments = Assignment.objects.bulk_create(
                Assignment(
                    episode=episodes[i % len(episodes)],
                    instrument_id="phq9",
                    respondent="client",
                    respondent_key="client",
                    # Handed out in the session, not for the background worker to email: as
                    # remote ones, thousands would be looked at one by one in each of its rounds
                    # (and a reminder would revoke the harness's links).
                    remote=False,
                    due_at=now - timedelta(minutes=1),
                )
                for i in chunk
            )
            AccessLink.objects.bulk_create(
                AccessLink(
                    assignment=a,
                    token_hash=hash_token(tokens[i]),
                    expires_at=now + timedelta(hours=12),
                    sent_at=now,
                )
                for i, a in zip(chunk, assignments, strict=True)
            )
            made += [
                {"token": tokens[i], "assignment": a.pk}
                for i, a in zip(chunk, assignments, strict=True)
            ]
    return made


def discard_unanswered(links: list[dict[str, object]]) -> int:
    from rapport.measures.models import Assignment

    ids = [int(str(link["assignment"])) for link in links]
    deleted, _ = Assignment.objects.filter(
        pk__in=ids, status=Assignment.Status.PENDING, response__isnull=True
    ).delete()
    return deleted


def main() -> None:
    import django

    django.setup()
    if sys.argv[1] == "--discard":
        discard_unanswered(json.loads(Path(sys.argv[2]).read_text(encoding="utf-8")))
        return
    count, out = int(sys.argv[1]), Path(sys.argv[2])
    out.write_text(json.dumps(make_links(count)), encoding="utf-8")


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    main()
