"""Who is calling. Every use case that reads or writes on someone's behalf takes a Viewer."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from domain.errors import Forbidden, NotFound, Unauthenticated


class Role(StrEnum):
    MEMBER = "member"
    STAFF = "staff"
    PARTNER = "partner"


class StaffRole(StrEnum):
    """What a staff account may do; the access table (domain/auth/access.py) names them per field."""

    HQ_ADMIN = "HQ_ADMIN"  # everything
    ANALYST = "ANALYST"  # read-only insights and KPIs
    STORE_CLERK = "STORE_CLERK"  # POS operations and member lookups, for the assigned stores only
    MODERATOR = "MODERATOR"  # community: posts, groups, events
    PARTNER_MANAGER = "PARTNER_MANAGER"  # partners, their statements and webhooks


@dataclass(frozen=True)
class StaffGrant:
    """What a staff access token carries besides the subject: the role and the account's version."""

    role: StaffRole
    version: int


@dataclass(frozen=True)
class Viewer:
    role: Role | None = None
    subject_id: int | None = None
    # Why a presented token was refused, told to the caller only when an operation needs auth,
    # so that signIn/refreshSession still work while an expired token is in the header.
    rejection: str | None = None
    rejection_reason: str | None = None
    # From the access token: its session (refresh-token family) and expiry (epoch seconds), which
    # long-lived connections (websockets) enforce after the handshake.
    session_id: str | None = field(default=None, compare=False)
    expires_at: int | None = field(default=None, compare=False)
    issued_at: int | None = field(default=None, compare=False)  # the token's iat (epoch seconds)
    # Staff only: the role and account version the token was issued for (checked against the
    # account on every request, see domain/auth/admission.py), and the stores a clerk is assigned
    # to (None: every store), read from the account at that check.
    staff_role: StaffRole | None = field(default=None, compare=False)
    staff_version: int | None = field(default=None, compare=False)
    store_ids: frozenset[str] | None = field(default=None, compare=False)

    @classmethod
    def anonymous(cls) -> Viewer:
        return cls()

    @classmethod
    def rejected(cls, message: str, reason: str | None) -> Viewer:
        return cls(rejection=message, rejection_reason=reason)

    @property
    def is_authenticated(self) -> bool:
        return self.role is not None and self.subject_id is not None

    def require_member(self) -> int:
        """The member id of a signed-in member; anyone else is refused."""
        self._require_authenticated()
        if self.role is not Role.MEMBER:
            raise Forbidden("Only a signed-in member can do this.")
        assert self.subject_id is not None
        return self.subject_id

    def require_self_or_staff(self, member_id: int) -> None:
        """A member reads their own data; staff read anyone's. Other members learn nothing, not even
        whether the member exists."""
        if self.role is Role.STAFF and self.is_authenticated:
            return
        if self.require_member() != member_id:
            raise NotFound("No such member.")

    def require_staff(self) -> int:
        self._require_authenticated()
        if self.role is not Role.STAFF:
            raise Forbidden("Only program staff can do this.")
        assert self.subject_id is not None
        return self.subject_id

    def require_store(self, store_id: str) -> None:
        """Staff act for a store: a clerk only for the stores assigned to them."""
        self.require_staff()
        if self.store_ids is not None and store_id not in self.store_ids:
            raise Forbidden("This store is not one of yours.")

    def sees_store(self, store_id: str) -> bool:
        return self.store_ids is None or store_id in self.store_ids

    def require_partner(self) -> int:
        self._require_authenticated()
        if self.role is not Role.PARTNER:
            raise Forbidden("Only a partner credential can do this.")
        assert self.subject_id is not None
        return self.subject_id

    def require_authenticated(self) -> None:
        self._require_authenticated()

    def _require_authenticated(self) -> None:
        if self.is_authenticated:
            return
        if self.rejection is not None:
            raise Unauthenticated(self.rejection, reason=self.rejection_reason or "INVALID_TOKEN")
        raise Unauthenticated("Sign in first.")
