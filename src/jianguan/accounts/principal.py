"""Who is calling, and what they may see: pure, no I/O.

A principal is a logged-in user or an API key, reduced to its role and the one scope that
role is bound to. Region scope follows GB/T 2260 parent links, which the caller resolves
into ``region_codes`` (the scope region and every division under it) once per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jianguan.accounts.models import Role
from jianguan.catalogue.models import Agency


@dataclass(frozen=True)
class Principal:
    """The caller of a request, with its role and scope."""

    kind: str  # "user" or "apikey"
    id: int
    name: str
    role: Role
    display_name: str = ""
    region_code: str | None = None
    agency: Agency | None = None
    enterprise_id: int | None = None
    printer_id: int | None = None
    merchant_id: int | None = None
    region_codes: frozenset[str] = field(default_factory=frozenset)
    session_id: int | None = None

    @property
    def actor_name(self) -> str:
        """How the audit log names this principal."""
        return f"{self.kind}:{self.name}"

    def owns_enterprise(self, enterprise_id: int) -> bool:
        """Whether this principal speaks for enterprise ``enterprise_id``."""
        return self.role is Role.MANUFACTURER and self.enterprise_id == enterprise_id
