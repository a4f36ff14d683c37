from __future__ import annotations

from django.db import models


class InstrumentDefinition(models.Model):
    """A practice's own instrument (for example a licensed ORS/SRS), imported as a definition file.

    Rapport's built-in instruments live as files in rapport/instruments/; imported ones live here,
    visible to their practice only. Each import of a changed file is a new version.
    """

    practice = models.ForeignKey(
        "practices.Practice", on_delete=models.CASCADE, related_name="instruments"
    )
    instrument_id = models.CharField(max_length=64)
    version = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    document = models.JSONField()
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "instrument_id", "version"], name="instrument_version_unique"
            )
        ]
        ordering = ["instrument_id", "-imported_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.instrument_id} v{self.version})"
