"""Partner use cases: accounts and credentials (staff), linking with consent (members), and
earn / burn / reverse calls from partner systems, idempotent on the partner's transaction id."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.auth.sessions import AuthSession
from domain.auth.viewer import Role, Viewer
from domain.benefits.rules import VOUCHER_ALPHABET
from domain.benefits.services import member_tier_rank
from domain.deps import Deps
from domain.errors import (
    BadUserInput,
    FieldError,
    Forbidden,
    IdempotencyConflict,
    LimitExceeded,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from domain.events import PartnerTransacted
from domain.members.model import Member
from domain.partners.model import Partner, PartnerLink, PartnerTransaction, hash_secret, new_secret, secret_matches
from domain.points.expiry_policy import lot_expiry
from domain.points.ledger import credit, debit, restore
from domain.points.model import EntryKind
from domain.points.ports import NewEntry
from domain.ports import Cache, RateLimiter, TokenIssuer, UnitOfWork
from domain.privacy.model import ConsentKind
from domain.program.services import load_settings

_TXN = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
AUTH_CODE_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class Credentials:
    partner: Partner
    client_secret: str  # shown once


def _validate(p: Partner) -> None:
    errors: list[FieldError] = []
    if not 0 < len(p.name.strip()) <= 80:
        errors.append(FieldError("name", "A brand name is 1 to 80 characters."))
    if not (0 < p.partner_units <= 1_000_000 and 0 < p.program_points <= 1_000_000):
        errors.append(FieldError("partnerUnits", "Both sides of the exchange rate are positive whole numbers."))
    if p.daily_earn_cap < 0 or p.daily_burn_cap < 0:
        errors.append(FieldError("dailyEarnCap", "Caps are not negative."))
    if not set(p.operations) <= {"EARN", "BURN", "REVERSE"}:
        errors.append(FieldError("operations", "Operations are EARN, BURN and REVERSE."))
    if errors:
        raise BadUserInput("The partner is invalid.", errors)


async def create_partner(uow: UnitOfWork, viewer: Viewer, partner: Partner, now: datetime) -> Credentials:
    staff_id = viewer.require_staff()
    _validate(partner)
    secret = new_secret()
    async with uow:
        saved = await uow.partners.save(replace(partner, id=0, client_id="pc_" + secrets.token_hex(8),
                                                secret_hashes=[hash_secret(secret)]))
        await uow.audit.record(Role.STAFF, staff_id, "partner.created", f"partner:{saved.id}",
                               {"name": saved.name}, now)
        await uow.commit()
    return Credentials(saved, secret)


async def rotate_secret(uow: UnitOfWork, viewer: Viewer, partner_id: int, now: datetime) -> Credentials:
    """A new secret works at once; the previous one keeps working until the next rotation,
    so a partner can switch without downtime."""
    staff_id = viewer.require_staff()
    secret = new_secret()
    async with uow:
        partner = await uow.partners.get(partner_id)
        if partner is None:
            raise NotFound("No such partner.")
        hashes = [hash_secret(secret), *partner.secret_hashes[:1]]
        saved = await uow.partners.save(replace(partner, secret_hashes=hashes))
        await uow.audit.record(Role.STAFF, staff_id, "partner.secret-rotated", f"partner:{partner_id}", {}, now)
        await uow.commit()
    return Credentials(saved, secret)


async def deactivate_partner(uow: UnitOfWork, viewer: Viewer, partner_id: int, now: datetime) -> Partner:
    """The partner stops at once: its tokens are refused on their next request (admission), no new
    token is issued, and earn/burn/reverse refuse it. Audited."""
    return await _stop_partner(uow, viewer, partner_id, now, "partner.deactivated",
                               lambda p: replace(p, active=False, tokens_valid_after=now))


async def revoke_partner_secrets(uow: UnitOfWork, viewer: Viewer, partner_id: int, now: datetime) -> Partner:
    """Every secret stops working (a leak) and the tokens minted with them are refused; the partner
    stays active and gets a new secret from rotatePartnerSecret. Audited."""
    return await _stop_partner(uow, viewer, partner_id, now, "partner.secrets-revoked",
                               lambda p: replace(p, secret_hashes=[], tokens_valid_after=now))


async def _stop_partner(uow: UnitOfWork, viewer: Viewer, partner_id: int, now: datetime, action: str,
                        change: Callable[[Partner], Partner]) -> Partner:
    staff_id = viewer.require_staff()
    async with uow:
        partner = await uow.partners.get(partner_id)
        if partner is None:
            raise NotFound("No such partner.")
        saved = await uow.partners.save(change(partner))
        await uow.audit.record(Role.STAFF, staff_id, action, f"partner:{partner_id}", {}, now)
        await uow.commit()
    return saved


async def partner_token(uow: UnitOfWork, tokens: TokenIssuer, client_id: str, client_secret: str,
                        now: datetime) -> AuthSession:
    async with uow:
        partner = await uow.partners.by_client_id(client_id.strip())
    if partner is None or not partner.active or not secret_matches(client_secret, partner.secret_hashes):
        raise Unauthenticated("Unknown client or wrong secret.")
    access = tokens.issue_access(Role.PARTNER, partner.id, now)
    return AuthSession(Role.PARTNER, partner.id, access.token, access.expires_at, "", access.expires_at)


async def throttle(limiter: RateLimiter, viewer: Viewer, per_minute: int) -> None:
    """Each partner credential gets a request budget per minute, shared by all workers."""
    partner_id = viewer.require_partner()
    wait = await limiter.hit(f"partner:{partner_id}", per_minute, 60)
    if wait:
        raise RateLimited("Too many requests from this partner; slow down.", wait)


async def link_partner(uow: UnitOfWork, viewer: Viewer, partner_id: int, share_phone: bool,
                       now: datetime) -> PartnerLink:
    """The member's explicit consent; linking again updates the phone-sharing choice."""
    member_id = viewer.require_member()
    async with uow:
        partner = await uow.partners.get(partner_id)
        if partner is None or not partner.active:
            raise NotFound("No such partner.")
        link = await uow.partners.link(partner_id, member_id, "pm_" + secrets.token_hex(10), share_phone, now)
        await uow.audit.record(Role.MEMBER, member_id, "partner.linked", f"partner:{partner_id}",
                               {"sharePhone": share_phone}, now)
        if share_phone:
            await uow.privacy.add_consent(member_id, ConsentKind.PARTNER_SHARING, True, f"partner:{partner_id}", now)
        await uow.commit()
    return link


async def unlink_partner(uow: UnitOfWork, viewer: Viewer, partner_id: int, now: datetime) -> None:
    member_id = viewer.require_member()
    async with uow:
        if not await uow.partners.unlink(partner_id, member_id):
            raise NotFound("You are not linked to that partner.")
        await uow.audit.record(Role.MEMBER, member_id, "partner.unlinked", f"partner:{partner_id}", {}, now)
        await uow.commit()


async def authorize_burn(uow: UnitOfWork, viewer: Viewer, partner_id: int, max_points: int, now: datetime) -> str:
    """The member approves paying up to `max_points` at the partner: a single-use code, 5 minutes."""
    member_id = viewer.require_member()
    if not 0 < max_points <= 10_000_000:
        raise BadUserInput.for_field("maxPoints", "Approve a positive number of points.")
    code = "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(8))
    async with uow:
        if await uow.partners.link_for(partner_id, member_id) is None:
            raise NotFound("Link the partner first.")
        await uow.partners.add_auth_code(partner_id, member_id, _code_hash(code), max_points, now + AUTH_CODE_TTL)
        await uow.commit()
    return code


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


async def _partner_and_member(uow: UnitOfWork, viewer: Viewer, member_ref: str, operation: str) -> tuple[Partner, int]:
    partner_id = viewer.require_partner()
    partner = await uow.partners.get(partner_id)
    if partner is None or not partner.active:
        raise Forbidden("This partner account is not active.")
    if operation not in partner.operations:
        raise Forbidden(f"This partner may not {operation.lower()} points.")
    link = await uow.partners.link_by_ref(partner_id, member_ref.strip())
    if link is None or not link.active:
        raise NotFound("No linked member has that reference.")  # another partner's members look the same
    return partner, link.member_id


def _check_txn(txn_id: str) -> None:
    if not _TXN.fullmatch(txn_id or ""):
        raise BadUserInput.for_field("transactionId", "Use 1-64 letters, digits or . _ : -")


async def _replay(uow: UnitOfWork, partner_id: int, txn_id: str, kind: str, member_id: int,
                  partner_amount: int) -> PartnerTransaction | None:
    found = await uow.partners.transaction(partner_id, txn_id)
    if found is None:
        return None
    if (found.kind, found.member_id, found.partner_amount) != (kind, member_id, partner_amount):
        raise IdempotencyConflict("This transaction id was already used for a different request.")
    return found


async def _cap(uow: UnitOfWork, partner: Partner, kind: str, points: int, cap: int,
               day: tuple[datetime, datetime]) -> None:
    """Daily caps count the program's day (its time zone's midnight), as settlement and members do."""
    start, end = day
    used = await uow.partners.points_between(partner.id, None, kind, start, end)
    if used + points > cap:
        raise LimitExceeded(f"The partner's daily {kind.lower()} cap of {cap} points would be exceeded.")


@dataclass(frozen=True)
class PartnerEarn:
    member_ref: str
    txn_id: str
    partner_amount: int


@dataclass(frozen=True)
class PartnerBurn:
    member_ref: str
    txn_id: str
    points: int
    auth_code: str


def _now_and_day(deps: Deps) -> tuple[datetime, tuple[datetime, datetime]]:
    """The daily cap counts the program day containing `now` ([start, end) in UTC)."""
    now = deps.clock.now()
    return now, deps.clock.day_bounds(deps.clock.day_of(now))


async def partner_earn(cmd: PartnerEarn, deps: Deps) -> PartnerTransaction:
    uow, viewer, member_ref, txn_id = deps.uow, deps.viewer, cmd.member_ref, cmd.txn_id
    partner_amount = cmd.partner_amount
    now, day = _now_and_day(deps)
    _check_txn(txn_id)
    if not 0 < partner_amount <= 100_000_000:
        raise BadUserInput.for_field("partnerAmount", "The amount must be positive.")
    async with uow:
        partner, member_id = await _partner_and_member(uow, viewer, member_ref, "EARN")
        await uow.lock(f"partner-txn:{partner.id}:{txn_id}")
        if (done := await _replay(uow, partner.id, txn_id, "EARN", member_id, partner_amount)) is not None:
            return done
        points = partner.to_program_points(partner_amount)
        if points <= 0:
            raise BadUserInput.for_field("partnerAmount", "That amount is worth less than one point.")
        await uow.lock(f"partner-cap:{partner.id}")
        await _cap(uow, partner, "EARN", points, partner.daily_earn_cap, day)
        await uow.points.lock_account(member_id, now)
        settings = await load_settings(uow)
        entry = await credit(uow, NewEntry(member_id, EntryKind.EARN, points, f"Earned at {partner.name}",
                                           f"partner:{partner.id}", txn_id, f"earn/{txn_id}", Role.PARTNER, partner.id,
                                           {"partnerAmount": partner_amount}),
                             now, now, lot_expiry(now, settings, deps.clock.zone))
        txn = await uow.partners.add_transaction(partner.id, txn_id, "EARN", member_id, partner_amount, points,
                                                 entry.id, now)
        await _announce(uow, txn, now)
        await uow.commit()
    return txn


async def partner_burn(cmd: PartnerBurn, deps: Deps) -> PartnerTransaction:
    uow, viewer, member_ref, txn_id = deps.uow, deps.viewer, cmd.member_ref, cmd.txn_id
    points, auth_code = cmd.points, cmd.auth_code
    now, day = _now_and_day(deps)
    _check_txn(txn_id)
    if not 0 < points <= 10_000_000:
        raise BadUserInput.for_field("points", "Burn a positive number of points.")
    async with uow:
        partner, member_id = await _partner_and_member(uow, viewer, member_ref, "BURN")
        await uow.lock(f"partner-txn:{partner.id}:{txn_id}")
        partner_amount = points * partner.partner_units // partner.program_points
        if (done := await _replay(uow, partner.id, txn_id, "BURN", member_id, partner_amount)) is not None:
            return done
        if not await uow.partners.use_auth_code(partner.id, member_id, _code_hash(auth_code), points, now):
            raise Forbidden("The member's authorization code is wrong, used, expired or too small.")
        await uow.lock(f"partner-cap:{partner.id}")
        await _cap(uow, partner, "BURN", points, partner.daily_burn_cap, day)
        await uow.points.lock_account(member_id, now)
        # Not enough points raises, and the whole transaction (the used-up code too) rolls back.
        moved = await debit(uow, NewEntry(member_id, EntryKind.REDEEM, -points, f"Paid at {partner.name}",
                                          f"partner:{partner.id}", txn_id, f"burn/{txn_id}", Role.PARTNER,
                                          partner.id, {"partnerAmount": partner_amount}), now)
        assert moved.entry is not None
        txn = await uow.partners.add_transaction(partner.id, txn_id, "BURN", member_id, partner_amount, points,
                                                 moved.entry.id, now)
        await _announce(uow, txn, now)
        await uow.commit()
    return txn


async def partner_reverse(uow: UnitOfWork, cache: Cache, viewer: Viewer, txn_id: str,
                          now: datetime) -> PartnerTransaction:
    """Undo an earn (take the points back, as far as they are left) or a burn (give them back). Once."""
    _check_txn(txn_id)
    partner_id = viewer.require_partner()
    async with uow:
        partner = await uow.partners.get(partner_id)
        if partner is None or not partner.active or "REVERSE" not in partner.operations:
            raise Forbidden("This partner may not reverse transactions.")
        await uow.lock(f"partner-txn:{partner_id}:{txn_id}")
        txn = await uow.partners.transaction(partner_id, txn_id)
        if txn is None or txn.kind == "REVERSE":
            raise NotFound("No such transaction from this partner.")
        if txn.reversed:
            return txn
        await uow.points.lock_account(txn.member_id, now)
        new = NewEntry(txn.member_id, EntryKind.REVERSE, txn.points if txn.kind == "BURN" else -txn.points,
                       f"Reversed at {partner.name}", f"partner:{partner_id}", txn_id, f"reverse/{txn_id}",
                       Role.PARTNER, partner_id)
        if txn.kind == "BURN":
            assert txn.entry_id is not None
            await restore(uow, txn.entry_id, new, now)
        else:
            await debit(uow, new, now, allow_shortfall=True)
        await uow.partners.mark_reversed(txn.id)
        # Recorded as its own row so statements show reversals on the day they happened.
        reversal = await uow.partners.add_transaction(
            partner_id, f"rev:{txn_id}", "REVERSE", txn.member_id,
            -txn.partner_amount if txn.kind == "EARN" else txn.partner_amount, new.amount, None, now)
        await _announce(uow, reversal, now)
        await uow.commit()
        fresh = await uow.partners.transaction(partner_id, txn_id)
    assert fresh is not None
    return fresh


async def _announce(uow: UnitOfWork, txn: PartnerTransaction, now: datetime) -> None:
    """The unit of work writes the outbox row (domain/webhooks/catalogue.py) in the same transaction:
    the webhook cannot be lost, nor sent for a rolled-back change."""
    uow.publish_after_commit(PartnerTransacted(txn.partner_id, txn.member_id, txn.txn_id, txn.kind, txn.points,
                                               txn.partner_amount))


@dataclass(frozen=True)
class LinkedMember:
    member_ref: str
    display_name: str | None
    tier_rank: int
    phone: str | None


async def linked_member(uow: UnitOfWork, viewer: Viewer, member_ref: str) -> LinkedMember:
    """What a partner may see of a member: only members linked to it, phone only with consent."""
    partner_id = viewer.require_partner()
    async with uow:
        link = await uow.partners.link_by_ref(partner_id, member_ref.strip())
        if link is None or not link.active:
            raise NotFound("No linked member has that reference.")
        member: Member | None = await uow.members.get(link.member_id)
        rank = await member_tier_rank(uow, link.member_id)
    assert member is not None
    return LinkedMember(link.member_ref, member.display_name, rank, member.phone if link.share_phone else None)


async def statement(uow: UnitOfWork, viewer: Viewer, partner_id: int, start: datetime,
                    end: datetime) -> list[tuple[str, str, int, int]]:
    """Per-day sums of earns, burns and reversals, straight from the transactions (reproducible)."""
    if viewer.role is Role.PARTNER:
        if viewer.require_partner() != partner_id:
            raise NotFound("No such partner.")
    else:
        viewer.require_staff()
    if start >= end or end - start > timedelta(days=92):
        raise BadUserInput.for_field("to", "Give a range of at most 92 days, start before end.")
    async with uow:
        return await uow.partners.statement(partner_id, start, end)
