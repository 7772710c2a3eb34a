"""Offline events (tastings, launches, salons): capacity, tier restriction, sign-up window,
and attendance points paid once when staff check the member in."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, tzinfo

from domain.auth.viewer import Role, Viewer
from domain.benefits.errors import NotEligible
from domain.benefits.rules import new_voucher_code
from domain.benefits.services import member_tier_rank
from domain.errors import BadUserInput, Conflict, FieldError, NotFound
from domain.meetups.errors import MeetupFull
from domain.meetups.model import Meetup, Signup
from domain.points.expiry_policy import lot_expiry
from domain.points.ledger import credit
from domain.points.model import EntryKind
from domain.points.ports import NewEntry
from domain.ports import UnitOfWork
from domain.program.services import load_settings


def validate_event(e: Meetup) -> Meetup:
    errors: list[FieldError] = []
    if not 0 < len(e.title.strip()) <= 80:
        errors.append(FieldError("title", "A title is 1 to 80 characters."))
    if not 0 < e.capacity <= 100_000:
        errors.append(FieldError("capacity", "Capacity is 1 to 100,000."))
    if e.signup_opens_at >= e.signup_closes_at or e.signup_closes_at > e.starts_at:
        errors.append(FieldError("signupClosesAt", "Sign-up opens, then closes, no later than the start."))
    if not 0 <= e.attendance_points <= 100_000 or e.min_tier_rank < 0:
        errors.append(FieldError("attendancePoints", "Points are 0 to 100,000; tier rank is 0 or more."))
    if errors:
        raise BadUserInput("The event is invalid.", errors)
    return e


async def save_event(uow: UnitOfWork, viewer: Viewer, event: Meetup, now: datetime) -> Meetup:
    staff_id = viewer.require_staff()
    validate_event(event)
    async with uow:
        if event.id and await uow.meetups.get(event.id) is None:
            raise NotFound("No such event.")
        saved = await uow.meetups.save(replace(event, title=event.title.strip()), now)
        await uow.audit.record(Role.STAFF, staff_id, "event.saved", f"event:{saved.id}", {"capacity": saved.capacity},
                               now)
        await uow.commit()
    return saved


async def sign_up(uow: UnitOfWork, viewer: Viewer, event_id: int, now: datetime) -> Signup:
    """Seats are taken with a guarded UPDATE, so concurrent sign-ups never overbook."""
    member_id = viewer.require_member()
    async with uow:
        event = await uow.meetups.get(event_id)
        if event is None or not event.active:
            raise NotFound("No such event.")
        if not event.signup_opens_at <= now < event.signup_closes_at:
            raise Conflict("Sign-up for this event is closed.")
        if await member_tier_rank(uow, member_id) < event.min_tier_rank:
            raise NotEligible("This event is for members of a higher tier.")
        existing = await uow.meetups.signup(event_id, member_id, for_update=True)
        if existing is not None and existing.status != "CANCELLED":
            return existing
        if not await uow.meetups.take_seat(event_id):
            raise MeetupFull("This event is full.")
        signup = await uow.meetups.put_signup(event_id, member_id, "SIGNED_UP", new_voucher_code(), now)
        await uow.commit()
    return signup


async def cancel(uow: UnitOfWork, viewer: Viewer, event_id: int, now: datetime) -> Signup:
    member_id = viewer.require_member()
    async with uow:
        if not await uow.meetups.set_status(event_id, member_id, "SIGNED_UP", "CANCELLED", now):
            raise NotFound("You are not signed up for that event.")
        await uow.meetups.free_seat(event_id)
        await uow.commit()
        signup = await uow.meetups.signup(event_id, member_id)
    assert signup is not None
    return signup


_CODE = re.compile(r"[A-Z0-9]{4,16}")


async def check_in_attendee(uow: UnitOfWork, viewer: Viewer, code: str, now: datetime,
                            zone: tzinfo) -> Signup:
    """Staff scan the member's code at the door; attendance points are paid once."""
    viewer.require_staff()
    code = code.strip().upper()
    if not _CODE.fullmatch(code):
        raise BadUserInput.for_field("code", "That is not a check-in code.")
    async with uow:
        signup = await uow.meetups.signup_by_code(code, for_update=True)
        if signup is None or signup.status == "CANCELLED":
            raise NotFound("No sign-up has that code.")
        if signup.status == "ATTENDED":
            return signup
        event = await uow.meetups.get(signup.event_id)
        assert event is not None
        await uow.meetups.set_status(signup.event_id, signup.member_id, "SIGNED_UP", "ATTENDED", now)
        if event.attendance_points:
            settings = await load_settings(uow)
            await uow.points.lock_account(signup.member_id, now)
            await credit(uow, NewEntry(signup.member_id, EntryKind.EARN, event.attendance_points,
                                       f"Attended {event.title}", "event", str(event.id),
                                       f"event/{event.id}/{signup.member_id}"),
                         now, now, lot_expiry(now, settings, zone))
        await uow.commit()
        attended = await uow.meetups.signup(signup.event_id, signup.member_id)
    assert attended is not None
    return attended


async def upcoming(uow: UnitOfWork, now: datetime) -> list[Meetup]:
    async with uow:
        return await uow.meetups.upcoming(now, 50)


async def event_for(uow: UnitOfWork, viewer: Viewer, event_id: int) -> Meetup:
    """One event for any signed-in caller (inactive ones: staff only)."""
    if not viewer.is_authenticated:
        viewer.require_member()
    async with uow.read_only():
        event = await uow.meetups.get(event_id)
    if event is None or (not event.active and viewer.role is not Role.STAFF):
        raise NotFound("No such event.")
    return event


async def signups_of(uow: UnitOfWork, member_id: int, event_ids: list[int]) -> dict[int, Signup]:
    """One member's sign-ups for these events (the caller passes the signed-in member's own id)."""
    async with uow.read_only():
        return await uow.meetups.signups_of(member_id, event_ids)
