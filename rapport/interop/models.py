"""What an import has already stored: the identity of each source resource, per practice."""

from __future__ import annotations

from django.db import models


class ImportedResource(models.Model):
    """One FHIR resource an import stored, and the record it became.

    Keyed by practice, resource type and the resource's id in its source ("Patient/abc"), so
    that a second import of the same data finds every resource already there and stores
    nothing. A source resource that became no record of its own (a PractitionerRole, read into
    its practitioner's role) is remembered all the same, with the record it was read into."""

    practice = models.ForeignKey("practices.Practice", on_delete=models.CASCADE, related_name="+")
    resource_type = models.CharField(max_length=40)
    source_id = models.CharField(max_length=255)
    object_id = models.PositiveBigIntegerField()
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "resource_type", "source_id"],
                name="imported_resource_once_per_practice",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.source_id} → {self.object_id}"
