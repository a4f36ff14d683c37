from __future__ import annotations

from typing import ClassVar

from django.db import models

RECOMMENDATIONS_MAX = 4000
NAME_MAX = 200


class DischargeLetter(models.Model):
    """What the clinician writes into an episode's discharge letter: to whom it goes and what
    they recommend. The rest of the letter (dates, sessions, outcomes, goals) is read from the
    record each time it is printed, so a letter never disagrees with the record it summarises."""

    episode = models.OneToOneField(
        "care.Episode", on_delete=models.PROTECT, related_name="discharge_letter"
    )
    # The record has no referrer: the clinician types whom the letter is for.
    addressee = models.CharField(max_length=NAME_MAX)
    organisation = models.CharField(max_length=NAME_MAX, blank=True)
    recommendations = models.TextField(max_length=RECOMMENDATIONS_MAX)
    written_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField()

    client_path: ClassVar[str] = "episode__client"

    def __str__(self) -> str:
        return f"Discharge letter of episode {self.episode_id}"


class ReportLink(models.Model):
    """A single-use link, emailed to a client or a guardian, to download the client's copy of
    one report. Only a hash of the token is kept (as for the links to measures), so a copy of the
    database opens nothing; the report is printed when the link is used, never attached."""

    episode = models.ForeignKey("care.Episode", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)  # "progress", "plan" or "discharge"
    recipient = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    sent_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    client_path: ClassVar[str] = "episode__client"

    def __str__(self) -> str:
        return f"{self.kind} report link for episode {self.episode_id}"
