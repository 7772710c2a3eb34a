"""What the use cases need from storage and the outside world. domain/store implements these."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from domain.auth.viewer import Role, StaffGrant, StaffRole
from domain.automation.model import AutomationRepository
from domain.benefits.ports import RewardRepository
from domain.checkins.ports import CheckInRepository
from domain.community.ports import CommunityRepository
from domain.entitlements.ports import EntitlementRepository
from domain.events import Event
from domain.exports.model import ExportRepository
from domain.gamification.ports import GamificationRepository
from domain.imports.ports import PurchaseImportRepository
from domain.jobs.model import JobRunRepository
from domain.kpis.ports import KpiRepository, KpiRollupRepository
from domain.meetups.model import MeetupRepository
from domain.members.import_ports import MemberImportRepository
from domain.members.merge_model import MemberMergeRepository
from domain.members.model import Channel, ChannelIdentity, Member
from domain.messaging.model import MessagingRepository
from domain.offers.ports import CouponCodeRepository, CouponRepository, CouponShareRepository
from domain.partners.model import PartnerRepository
from domain.payments.ports import HoldRepository
from domain.points.ports import IdempotencyRepository, PointsRepository, PurchaseRepository, RulesRepository
from domain.privacy.model import Erasure, PrivacyRepository
from domain.segments.ports import SegmentRepository
from domain.service.model import ServiceCaseRepository
from domain.stores.ports import StoreReportRepository
from domain.surveys.ports import SurveyRepository
from domain.tiers.ports import TierRepository
from domain.webhooks.model import WebhookRepository


@dataclass(frozen=True)
class LoginCodeRecord:
    id: int
    phone: str
    code_hash: str
    created_at: datetime
    expires_at: datetime
    attempts: int
    consumed_at: datetime | None


@dataclass(frozen=True)
class RefreshTokenRecord:
    id: int
    family_id: str
    role: Role
    subject_id: int
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class StaffAccount:
    id: int
    username: str
    password_hash: str
    display_name: str
    active: bool
    role: StaffRole = StaffRole.HQ_ADMIN
    version: int = 1
    store_ids: tuple[str, ...] = ()  # assigned stores (they bound a STORE_CLERK; others act for all)
    created_at: datetime | None = None


@dataclass(frozen=True)
class StaffChange:
    """What one staff-management action sets; None leaves a field as it is. Every change bumps the
    account's version, which refuses the tokens issued before it."""

    role: StaffRole | None = None
    active: bool | None = None
    password_hash: str | None = None
    store_ids: tuple[str, ...] | None = None


class MemberRepository(Protocol):
    async def get(self, member_id: int, for_update: bool = False) -> Member | None: ...
    async def get_by_phone(self, phone: str) -> Member | None: ...
    async def get_by_code(self, member_code: str) -> Member | None: ...
    async def get_many(self, member_ids: Sequence[int]) -> dict[int, Member]: ...
    async def set_referrer(self, member_id: int, referrer_id: int) -> None: ...
    async def referrer_of(self, member_id: int) -> int | None: ...
    async def invitees_count(self, member_id: int) -> int: ...
    async def names(self, member_ids: Sequence[int]) -> dict[int, tuple[str | None, bool]]:
        """display name and leaderboard opt-out, by member id."""
        ...
    async def get_or_create(self, phone: str, member_code: str, now: datetime) -> tuple[Member, bool]: ...
    async def save_profile(self, member: Member) -> Member: ...
    async def identities_for(self, member_ids: Sequence[int]) -> dict[int, list[ChannelIdentity]]: ...
    async def claim_identity(
        self, member_id: int, channel: Channel, external_id: str, now: datetime
    ) -> int: ...
    async def release_identity(self, member_id: int, channel: Channel, external_id: str) -> bool: ...
    async def find_by_identity(self, channel: Channel, external_id: str) -> Member | None: ...
    async def set_birthday(self, member_id: int, birthday: date) -> Member: ...
    async def with_birthday_in_month(self, month: int, after_member_id: int, limit: int) -> list[int]: ...
    async def erase_member(self, erasure: Erasure) -> None: ...


class LoginCodeRepository(Protocol):
    async def add(self, phone: str, code_hash: str, now: datetime, expires_at: datetime) -> None: ...
    async def created_since(self, phone: str, since: datetime) -> list[datetime]: ...
    async def latest_live(self, phone: str, now: datetime) -> LoginCodeRecord | None: ...
    async def claim_attempt(self, code_id: int, max_attempts: int) -> bool: ...
    async def consume(self, code_id: int, now: datetime) -> bool: ...
    async def erase_member(self, erasure: Erasure) -> None: ...


class RefreshTokenRepository(Protocol):
    async def add(
        self, token_hash: str, family_id: str, role: Role, subject_id: int, now: datetime, expires_at: datetime
    ) -> None: ...
    async def find(self, token_hash: str) -> RefreshTokenRecord | None: ...
    async def mark_used(self, token_id: int, now: datetime) -> bool: ...
    async def revoke_family(self, family_id: str, now: datetime) -> None: ...
    async def revoke_subject(self, role: Role, subject_id: int, now: datetime) -> None: ...
    async def erase_member(self, erasure: Erasure) -> None: ...


class StaffRepository(Protocol):
    async def get(self, staff_id: int) -> StaffAccount | None: ...
    async def get_by_username(self, username: str) -> StaffAccount | None: ...
    async def add(self, username: str, password_hash: str, display_name: str, now: datetime,
                  role: StaffRole = StaffRole.HQ_ADMIN, store_ids: Sequence[str] = ()) -> StaffAccount: ...
    async def change(self, staff_id: int, change: StaffChange) -> StaffAccount | None:
        """Apply the change and bump the version (locks the row); None for an unknown id."""
        ...
    async def page(self, limit: int, after_id: int | None) -> list[StaffAccount]: ...


class AuditLog(Protocol):
    async def record(
        self, actor: Role, actor_id: int, action: str, target: str, detail: dict[str, object], now: datetime
    ) -> None: ...
    async def record_many(self, actor: Role, actor_id: int, action: str, targets: Sequence[str],
                          detail: dict[str, object], now: datetime) -> None:
        """One entry per target, in one statement."""
        ...
    async def erase_member(self, erasure: Erasure) -> None: ...


@dataclass(frozen=True)
class ThrottleState:
    count: int  # in the current window
    locked_until: datetime | None


class ThrottleRepository(Protocol):
    """Abuse counters shared by all workers (the database), keyed like `staff-user:anna`."""

    async def peek(self, key: str, now: datetime, window_seconds: int) -> ThrottleState: ...
    async def bump(self, key: str, now: datetime, window_seconds: int, by: int = 1) -> ThrottleState: ...
    async def lock(self, key: str, until: datetime) -> None: ...
    async def clear(self, key: str) -> bool: ...


class Presence(Protocol):
    """Open connections per subject, counted for the whole deployment; entries expire unless refreshed."""

    async def claim(self, key: str, socket_id: str, limit: int, ttl_seconds: int) -> bool: ...
    async def refresh(self, key: str, socket_id: str, ttl_seconds: int) -> None: ...
    async def release(self, key: str, socket_id: str) -> None: ...


class ProofVerifier(Protocol):
    """A cheap proof a real app can give before a code is texted while budgets are tight: a signed device
    nonce, or a captcha provider's token checked with the provider."""

    async def verify(self, proof: str, phone: str, address: str | None, now: datetime) -> bool: ...


class UnitOfWork(Protocol):
    """One transaction. Leaving the block without commit() rolls everything back. The repositories
    are read-only members, so an implementation may hold its own (narrower) repository types."""

    @property
    def members(self) -> MemberRepository: ...
    @property
    def login_codes(self) -> LoginCodeRepository: ...
    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...
    @property
    def staff(self) -> StaffRepository: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def points(self) -> PointsRepository: ...
    @property
    def purchases(self) -> PurchaseRepository: ...
    @property
    def holds(self) -> HoldRepository: ...
    @property
    def idempotency(self) -> IdempotencyRepository: ...
    @property
    def rules(self) -> RulesRepository: ...
    @property
    def tiers(self) -> TierRepository: ...
    @property
    def rewards(self) -> RewardRepository: ...
    @property
    def coupons(self) -> CouponRepository: ...
    @property
    def coupon_codes(self) -> CouponCodeRepository: ...
    @property
    def coupon_shares(self) -> CouponShareRepository: ...
    @property
    def member_imports(self) -> MemberImportRepository: ...
    @property
    def exports(self) -> ExportRepository: ...
    @property
    def member_merges(self) -> MemberMergeRepository: ...
    @property
    def checkins(self) -> CheckInRepository: ...
    @property
    def community(self) -> CommunityRepository: ...
    @property
    def meetups(self) -> MeetupRepository: ...
    @property
    def partners(self) -> PartnerRepository: ...
    @property
    def webhooks(self) -> WebhookRepository: ...
    @property
    def surveys(self) -> SurveyRepository: ...
    @property
    def privacy(self) -> PrivacyRepository: ...
    @property
    def segments(self) -> SegmentRepository: ...
    @property
    def kpis(self) -> KpiRepository: ...
    @property
    def games(self) -> GamificationRepository: ...
    @property
    def kpi_rollups(self) -> KpiRollupRepository: ...
    @property
    def purchase_import(self) -> PurchaseImportRepository: ...
    @property
    def throttles(self) -> ThrottleRepository: ...
    @property
    def job_runs(self) -> JobRunRepository: ...
    @property
    def entitlements(self) -> EntitlementRepository: ...
    @property
    def messaging(self) -> MessagingRepository: ...
    @property
    def automation(self) -> AutomationRepository: ...
    @property
    def store_reports(self) -> StoreReportRepository: ...
    @property
    def service_cases(self) -> ServiceCaseRepository: ...

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None: ...
    def read_only(self) -> UnitOfWork:
        """The same unit of work, for reads that write nothing: the store may skip the
        transaction's own round trips (what each statement sees is unchanged at READ COMMITTED).
        commit() is refused."""
        ...

    def publish_after_commit(self, event: Event) -> None: ...
    def guard_member(self, member_id: int | None) -> None:
        """Refuse to commit unless this member still exists un-erased, checked in the database inside
        the transaction (the API sets it for every member request; erasure itself lifts it)."""
        ...

    async def lock(self, name: str) -> None:
        """Serialise transactions that work on the same name (e.g. one phone) until commit."""
        ...


class Cache(Protocol):
    """A best-effort cache: every method degrades to a miss or a no-op when the backend is down."""

    async def get(self, key: str) -> dict[str, object] | None: ...
    async def get_many(self, keys: list[str]) -> list[dict[str, object] | None]: ...
    async def get_content(self, key: str) -> dict[str, object] | None:
        """An entry addressed by its own content (a document under its hash): it cannot go stale, so
        it is read without the trust lease that guards versioned read models (balances, profiles)."""
        ...

    async def put_if_newer(self, key: str, version: int, value: dict[str, object], ttl_seconds: int) -> None: ...
    async def write_through(self, entries: list[tuple[str, int, dict[str, object] | None, int]]) -> None:
        """After a commit: (key, version, value, ttl_seconds) each. Unlike put_if_newer (a read
        filling the cache, best effort), an entry this cannot write is made unservable everywhere
        before it returns. A None value is a version fence: no copy older than `version` is served
        any more, and the next read fills the entry from the database (put_if_newer)."""
        ...

    async def delete(self, key: str) -> None: ...


class Subscription(Protocol):
    def __aiter__(self) -> AsyncIterator[dict[str, object]]: ...
    async def __anext__(self) -> dict[str, object]: ...
    async def aclose(self) -> None: ...


class Listening(Protocol):
    async def aclose(self) -> None: ...


class Broker(Protocol):
    async def publish(self, channel: str, message: dict[str, object]) -> None: ...

    async def subscribe(self, channel: str) -> Subscription:
        """Returns once the subscription is live."""
        ...

    async def listen(self, channel: str, callback: Callable[[dict[str, object]], None]) -> Listening:
        """Like subscribe, but each event is handed to `callback` as it arrives (no queue, nothing
        awaits it); `aclose()` the result to stop."""
        ...

    async def close(self) -> None:
        """End every subscription (server shutdown)."""
        ...


class WhenShared(StrEnum):
    """What a shared limit does while its shared counter (Redis) is unreachable. Never: no limit."""

    DOWN_REFUSES = "refuse"  # answer "retry later" (for rare, costly calls: data exports)
    DOWN_COUNTS_LOCALLY = "count locally"  # per-process bucket, continuing from the last shared count


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_seconds: int,
                  when_down: WhenShared = WhenShared.DOWN_COUNTS_LOCALLY) -> int:
        """Count one request; 0 when allowed, else seconds until it may be retried."""
        ...


class CodeSender(Protocol):
    async def send_login_code(self, phone: str, code: str) -> None: ...


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


class TokenIssuer(Protocol):
    def issue_access(self, role: Role, subject_id: int, now: datetime, session_id: str | None = None,
                     staff: StaffGrant | None = None) -> IssuedToken:
        """`session_id`: the refresh-token family the access token belongs to (so sign-out can end it);
        `staff`: the staff role and account version the token is issued for."""
        ...
