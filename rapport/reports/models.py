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
