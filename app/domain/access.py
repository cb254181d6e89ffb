"""Who is calling: a tenant, and optionally the facilities the caller is limited to."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.errors import AccessDenied


@dataclass(frozen=True, slots=True)
class Viewer:
    """An authenticated caller. `facilities` is None for a tenant-wide caller."""

    subject: str
    tenant: str
    facilities: frozenset[str] | None = None

    @property
    def is_tenant_wide(self) -> bool:
        return self.facilities is None

    def sees_facility(self, facility_ref: str) -> bool:
        return self.facilities is None or facility_ref in self.facilities

    def sees_document(self, created_by: str, appointment_facility: str | None) -> bool:
        """A document recorded on an appointment is seen by whoever sees the appointment's
        job; an upload not recorded yet by its uploader and by tenant-wide callers."""
        if appointment_facility is not None:
            return self.sees_facility(appointment_facility)
        return self.is_tenant_wide or created_by == self.subject

    def require_tenant_wide(self, action: str) -> None:
        """Tenant-level blueprints are changed only by callers not limited to facilities."""
        if self.facilities is not None:
            raise AccessDenied(f"A facility-scoped caller may not {action}.")
