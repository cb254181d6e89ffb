"""Who is calling: a tenant, and optionally the facilities the caller is limited to."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from app.domain.errors import AccessDenied


@dataclass(frozen=True, slots=True)
class Viewer:
    """An authenticated caller. `facilities` is None for a tenant-wide caller."""

    subject: str
    tenant: str
    facilities: frozenset[str] | None = None
    #: When the credentials the caller was identified by expire (seconds since the epoch, the
    #: token's `exp`); None when they do not. Not part of who the caller is.
    expires_at: float | None = field(default=None, compare=False)

    def has_expired(self, now: float) -> bool:
        """Whether the credentials are out of date at `now` (like PyJWT: at `exp` itself)."""
        return self.expires_at is not None and now >= self.expires_at

    @property
    def is_tenant_wide(self) -> bool:
        return self.facilities is None

    def sees_facility(self, facility_ref: str) -> bool:
        return self.facilities is None or facility_ref in self.facilities

    @property
    def scope_key(self) -> str | None:
        """The caller's facility scope as a short fixed-length value, stored with what the caller
        owns alone: None for a tenant-wide caller, else the SHA-256 (hex) of its facility ids,
        sorted. Two tokens share it when their `facilities` claims name the same set."""
        if self.facilities is None:
            return None
        canonical = json.dumps(sorted(self.facilities), ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()

    def sees_document(
        self, created_by: str, created_scope: str | None, appointment_facility: str | None
    ) -> bool:
        """A document recorded on an appointment is seen by whoever sees the appointment's
        job. An upload not recorded yet belongs to its uploader alone: the same subject with the
        same facility scope (`created_scope`, see scope_key; none for a tenant-wide uploader)."""
        if appointment_facility is not None:
            return self.sees_facility(appointment_facility)
        return created_by == self.subject and created_scope == self.scope_key

    def require_tenant_wide(self, action: str) -> None:
        """Tenant-level blueprints are changed only by callers not limited to facilities."""
        if self.facilities is not None:
            raise AccessDenied(f"A facility-scoped caller may not {action}.")
