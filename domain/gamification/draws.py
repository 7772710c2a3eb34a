"""Points draws (积分抽奖): a member spends points on a ticket; the ticket's roll picks a prize.

Fair and auditable: the draw's seed is fixed and its SHA-256 published when the draw is created,
each ticket records its roll (HMAC of the seed and the member's own request key) and the prize
the roll picked, and the seed is revealed when the draw ends, so anyone can recompute every roll.
No oversell: a prize is handed out by a conditional stock decrement in the ticket's transaction;
a roll that lands on a sold-out prize wins nothing (the odds shown are the odds drawn)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from domain.auth.viewer import Role
from domain.benefits.errors import NotEligible
from domain.cursors import decode_int, encode
from domain.deps import Deps
from domain.errors import BadUserInput, FieldError, LimitExceeded, NotFound
from domain.gamification.model import Draw, PrizeKind, Ticket
from domain.gamification.rules import check_prizes, prize_for_roll, roll_for, seed_hash
from domain.idempotency import check_key
from domain.points.expiry_policy import lot_expiry
from domain.points.ledger import credit, debit
from domain.points.model import EntryKind
from domain.points.ports import NewEntry
from domain.program.services import load_settings

MAX_OPEN = 50
MAX_PAGE = 100
_CLAIM_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud at a counter


def _claim_code() -> str:
    return "".join(secrets.choice(_CLAIM_ALPHABET) for _ in range(10))


async def create_draw(draw: Draw, deps: Deps) -> Draw:
    """Staff create a draw with its prizes. The seed is made here and never chosen by a person."""
    staff_id = deps.viewer.require_staff()
    errors = []
    if not 1 <= len(draw.name.strip()) <= 60:
        errors.append(FieldError("name", "Give a name of 1 to 60 characters."))
    if not 1 <= draw.ticket_points <= 1_000_000:
        errors.append(FieldError("ticketPoints", "A ticket costs 1 to 1,000,000 points."))
    if draw.tickets_per_member is not None and not 1 <= draw.tickets_per_member <= 10_000:
        errors.append(FieldError("ticketsPerMember", "Allow 1 to 10,000 tickets per member, or none for no limit."))
    if draw.ends_at <= draw.starts_at:
        errors.append(FieldError("endsAt", "The draw must end after it starts."))
    if errors:
        raise BadUserInput("The draw is invalid.", errors)
    check_prizes(draw.prizes)
    seed = secrets.token_hex(32)
    draw = replace(draw, name=draw.name.strip(), seed=seed, seed_hash=seed_hash(seed),
                   prizes=[replace(p, name=p.name.strip(), position=i, initial_stock=p.stock)
                           for i, p in enumerate(draw.prizes)])
    uow, now = deps.uow, deps.clock.now()
    async with uow:
        saved = await uow.games.add_draw(draw, now)
        await uow.audit.record(Role.STAFF, staff_id, "draw.created", f"draw:{saved.id}",
                               {"ticketPoints": saved.ticket_points, "seedHash": saved.seed_hash,
                                "prizes": [[p.name, p.weight_bp, p.stock] for p in saved.prizes]}, now)
        await uow.commit()
    return saved


async def open_draws(deps: Deps) -> list[Draw]:
    uow, now = deps.uow, deps.clock.now()
    async with uow.read_only():
        return await uow.games.open_draws(now, MAX_OPEN)


async def get_draw(draw_id: int, deps: Deps) -> Draw:
    uow = deps.uow
    async with uow.read_only():
        draw = await uow.games.draw(draw_id)
    if draw is None:
        raise NotFound("No such draw.")
    return draw


@dataclass(frozen=True)
class EnterDraw:
    draw_id: int
    idempotency_key: str


@dataclass(frozen=True)
class DrawOutcome:
    ticket: Ticket
    draw: Draw


async def enter_draw(cmd: EnterDraw, deps: Deps) -> DrawOutcome:
    """One transaction: pay the ticket, roll, hand out the prize if any stock is left. A retry with
    the same key returns the same ticket and pays nothing."""
    member_id = deps.viewer.require_member()
    key = check_key(cmd.idempotency_key)
    uow, clock = deps.uow, deps.clock
    now = clock.now()
    async with uow:
        draw = await uow.games.draw(cmd.draw_id)
        if draw is None:
            raise NotFound("No such draw.")
        await uow.points.lock_account(member_id, now)  # one member's tickets queue; others run in parallel
        existing = await uow.games.ticket(draw.id, member_id, key)
        if existing is not None:
            return DrawOutcome(existing, draw)
        if not draw.open_at(now):
            raise NotEligible("This draw is not open.", key="draw_closed")
        if draw.tickets_per_member is not None and \
                await uow.games.tickets_held(draw.id, member_id) >= draw.tickets_per_member:
            raise LimitExceeded(f"At most {draw.tickets_per_member} tickets per member.",
                                limit=draw.tickets_per_member)
        paid = await debit(uow, NewEntry(member_id, EntryKind.REDEEM, -draw.ticket_points, f"Draw ticket: {draw.name}",
                                         "draw", str(draw.id), f"draw/{draw.id}/{member_id}/{key}", Role.MEMBER,
                                         member_id, {"drawId": draw.id}), now)
        assert paid.entry is not None
        roll = roll_for(draw.seed, draw.id, member_id, key)
        picked = prize_for_roll(draw.prizes, roll)
        won = await uow.games.take_prize(picked.id) if picked is not None else None
        if won is not None and won.kind is PrizeKind.POINTS:
            settings = await load_settings(uow)
            await credit(uow, NewEntry(member_id, EntryKind.EARN, won.points, f"Draw prize: {won.name}", "draw-prize",
                                       str(draw.id), f"draw-prize/{draw.id}/{member_id}/{key}"),
                         now, now, lot_expiry(now, settings, deps.clock.zone))
        ticket = await uow.games.add_ticket(Ticket(
            0, draw.id, member_id, key, roll, picked.id if picked else None, won.id if won else None,
            _claim_code() if won is not None and won.kind is PrizeKind.GOODS else None, paid.entry.id, now))
        await uow.commit()
    return DrawOutcome(ticket, draw)


@dataclass(frozen=True)
class TicketPage:
    items: list[tuple[str, Ticket]]
    has_next: bool


async def member_tickets(member_id: int, first: int, after: str | None, deps: Deps) -> TicketPage:
    deps.viewer.require_self_or_staff(member_id)
    if not 0 < first <= MAX_PAGE:
        raise BadUserInput.for_field("first", f"Ask for 1 to {MAX_PAGE} tickets.")
    before_id = decode_int(after)[1] if after else None
    uow = deps.uow
    async with uow.read_only():
        rows = await uow.games.member_tickets(member_id, before_id, first + 1)
    return TicketPage([(encode(t.id, t.id), t) for t in rows[:first]], len(rows) > first)
