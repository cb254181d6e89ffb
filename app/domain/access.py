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

    def require_tenant_wide(self, action: str) -> None:
        """Tenant-level blueprints are changed only by callers not limited to facilities."""
        if self.facilities is not None:
            raise AccessDenied(f"A facility-scoped caller may not {action}.")
