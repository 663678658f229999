"""Writing the audit trail. Every service that changes what a teacher or an admin is
accountable for (rosters, passwords and lockouts, verdicts, models, exports, deletions)
records itself here, in the same transaction as the change."""

from typing import Any

from django.db import models

from audit.models import AuditEntry


def audit_record(
    *, actor: Any, action: str, target: models.Model | None = None, **details: Any
) -> AuditEntry:
    """Record that `actor` (a user, or None for the system) did `action` (a stable code such
    as "verdict.set") to `target`, with JSON-able `details`."""
    is_user = actor is not None and getattr(actor, "pk", None) is not None
    return AuditEntry.objects.create(
        actor=actor if is_user else None,
        actor_name=actor.get_username() if is_user else "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_name=str(target)[:200] if target is not None else "",
        details=details,
    )
