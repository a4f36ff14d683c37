"""What an import has already stored: the identity of each source resource, per practice."""

from __future__ import annotations

from django.db import models


class ImportedResource(models.Model):
    """One FHIR resource an import stored, and the record it became.

    Keyed by practice, source, resource type and the resource's id in that source ("Patient/abc"
    of https://elsewhere/fhir), so that a second import of the same data finds every resource
    already there and stores nothing, while another server's resource that happens to have the
    same id is not taken for it. The source is the FHIR base the resource's entry was under
    ("" where the file named none). A source resource that became no record of its own (a
    PractitionerRole, read into its practitioner's role) is remembered all the same, with the
    record it was read into."""

    practice = models.ForeignKey("practices.Practice", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=500, blank=True, default="")
    resource_type = models.CharField(max_length=40)
    source_id = models.CharField(max_length=255)
    object_id = models.PositiveBigIntegerField()
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "source", "resource_type", "source_id"],
                name="imported_resource_once_per_source",
            )
        ]

    def __str__(self) -> str:
        where = f" of {self.source}" if self.source else ""
        return f"{self.resource_type}/{self.source_id}{where} → {self.object_id}"
