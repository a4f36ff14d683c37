from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.core.auditchain import ChainedEvent


class AppendOnlyError(RuntimeError):
    pass


class AuditEvent(models.Model):
    """One read or write of clinical data. Append-only and hash-chained (see core.auditchain).

    Inserted without a lock: `sequence` and `previous_hash` stay empty, and `hash` holds the
    event's own MAC, until the sequencer seals it into the chain (audit.services.audit_seal).
    """

    class Outcome(models.TextChoices):
        OK = "ok", _("Allowed")
        DENIED = "denied", _("Denied")
        INVALID = "invalid", _("Rejected input")

    # The place in the chain, given when sealed; None while the event waits for the sequencer.
    sequence = models.PositiveBigIntegerField(unique=True, null=True)
    occurred_at = models.DateTimeField()
    practice_id = models.BigIntegerField(null=True, db_index=True)
    actor_id = models.BigIntegerField(null=True)
    actor_email = models.CharField(max_length=254, blank=True)
    actor_role = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64, blank=True)
    client_id = models.BigIntegerField(null=True, db_index=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.OK)
    request_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # Which audit key signed it (see core.auditchain); empty for events from before keying.
    key_id = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        # Insertion order; the chain's order (`sequence`) differs only where transactions that
        # started together committed in the other order.
        ordering = ["id"]

    def __str__(self) -> str:
        place = self.sequence or "-"  # unsealed
        return f"#{place} {self.actor_email or 'system'} {self.action} {self.object_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Audit events cannot be deleted.")

    def hashed_payload(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "occurred_at": self.occurred_at.isoformat(),
            "practice_id": self.practice_id,
            "actor_id": self.actor_id,
            "actor_email": self.actor_email,
            "actor_role": self.actor_role,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "client_id": self.client_id,
            "outcome": self.outcome,
            "request_id": self.request_id,
            "detail": self.detail,
        }

    def as_chained(self) -> ChainedEvent:
        """A sealed event as the chain sees it."""
        if self.sequence is None:
            raise ValueError("an unsealed event has no place in the chain yet")
        return ChainedEvent(
            self.sequence, self.hashed_payload(), self.previous_hash, self.hash, self.key_id
        )


class AuditChainHead(models.Model):
    """A single row holding the newest sealed sequence and hash; locking it serialises sealing.

    Only the sequencer takes its lock, never a request: appends do not touch it. On PostgreSQL a
    trigger lets it only step forward, onto sealed events that continue the chain it held.
    """

    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit head at {self.last_sequence}"


class BreakGlassGrant(models.Model):
    """An admin's time-limited, reasoned access to one client's clinical record."""

    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("people.Client", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "client", "expires_at"])]

    def __str__(self) -> str:
        return f"break-glass by {self.user} until {self.expires_at:%Y-%m-%d %H:%M}"
