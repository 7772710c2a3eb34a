"""Offline events and referrals."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.auth.viewer import Role
from domain.meetups import services
from domain.meetups.model import Meetup as DomainMeetup
from domain.meetups.model import Signup as Su
from domain.referrals import services as referrals
from schema.enums import SignupStatus
from schema.info import Info
from schema.refs import Node, global_id, parse_id


@strawberry.type(description="An offline event (tasting, launch, salon) members sign up for; attending may earn "
                              "points.")
class Event(Node):
    id: strawberry.ID = strawberry.field(description="Global id (usable with `node` and `event`).")
    title: str = strawberry.field(description="The event's title (1 to 80 characters).")
    description: str = strawberry.field(description="What the event is (may be empty).")
    capacity: int = strawberry.field(description="How many members may sign up in all.")
    seats_left: int = strawberry.field(description="Places not yet taken (capacity minus current sign-ups).")
    min_tier_rank: int = strawberry.field(description="Members below this tier rank cannot sign up (0: everyone).")
    attendance_points: int = strawberry.field(description="Whole points paid once when staff check the member in "
                                                          "at the door (0: none).")
    signup_opens_at: datetime = strawberry.field(description="When sign-up opens (UTC).")
    signup_closes_at: datetime = strawberry.field(description="When sign-up closes (UTC; no later than `startsAt`).")
    starts_at: datetime = strawberry.field(description="When the event starts (UTC).")
    event_id: strawberry.Private[int]

    @strawberry.field(description="Whether sign-up is open now (between `signupOpensAt` and `signupClosesAt`).")
    def signup_open(self, info: Info) -> bool:
        return self.signup_opens_at <= info.context.container.now() < self.signup_closes_at

    @strawberry.field(description="The signed-in member's sign-up (with the door code); null if none.")
    async def my_signup(self, info: Info) -> EventSignup | None:
        viewer = info.context.viewer
        if viewer.role is not Role.MEMBER or viewer.subject_id is None:
            return None
        # Batched over a list of events: one query, not one per event.
        found = await info.context.loaders.signup_by_member_event.load((viewer.subject_id, self.event_id))
        return EventSignup.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, e: DomainMeetup) -> Event:
        return cls(id=global_id("Event", e.id), title=e.title, description=e.description, capacity=e.capacity,
                   seats_left=e.capacity - e.signed_up, min_tier_rank=e.min_tier_rank,
                   attendance_points=e.attendance_points, signup_opens_at=e.signup_opens_at,
                   signup_closes_at=e.signup_closes_at, starts_at=e.starts_at, event_id=e.id)


@strawberry.type(description="A member's sign-up for an event.")
class EventSignup:
    event_id: strawberry.ID = strawberry.field(description="Global id of the event.")
    status: SignupStatus = strawberry.field(description="Signed up, cancelled, or attended (checked in).")
    checkin_code: str = strawberry.field(description="Shown as a QR code at the door.")

    @classmethod
    def from_domain(cls, s: Su) -> EventSignup:
        return cls(event_id=global_id("Event", s.event_id), status=SignupStatus(s.status), checkin_code=s.checkin_code)


@strawberry.type(description="A member's referrals: newcomers sign up with the member's invite code, and both "
                              "earn points once, on the newcomer's first qualifying purchase.")
class Referrals:
    invite_code: str = strawberry.field(description="The code to share (the member's member code); newcomers "
                                                    "enter it as `inviteCode` when signing in the first time.")
    invited_count: int = strawberry.field(description="How many members signed up with this code.")
    rewarded_invitees: int = strawberry.field(description="How many of them made a qualifying purchase that "
                                                          "rewarded this member.")
    points_earned: int = strawberry.field(description="Whole points this member earned from referrals in all.")


async def load_referrals(info: Info, member_id: int) -> Referrals:
    found = await referrals.summary(info.context.uow(), info.context.viewer, member_id)
    return Referrals(invite_code=found.invite_code, invited_count=found.invited,
                     rewarded_invitees=found.rewarded_invitees, points_earned=found.points_earned)


@strawberry.input(description="An event to create (no `id`) or replace (with `id`).")
class SaveEventInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="Global id of the event to change; omit "
                                                                       "to create one.")
    title: str = strawberry.field(description="1 to 80 characters (trimmed).")
    capacity: int = strawberry.field(description="How many members may sign up: 1 to 100,000.")
    starts_at: datetime = strawberry.field(description="When the event starts (with offset).")
    signup_opens_at: datetime = strawberry.field(description="When sign-up opens; before `signupClosesAt`.")
    signup_closes_at: datetime = strawberry.field(description="When sign-up closes; no later than `startsAt`.")
    description: str = strawberry.field(default="", description="What the event is.")
    min_tier_rank: int = strawberry.field(default=0, description="Lowest tier rank that may sign up (0 or more).")
    attendance_points: int = strawberry.field(default=0, description="Whole points paid at check-in: 0 to 100,000.")
    active: bool = strawberry.field(default=True, description="false withdraws the event: it leaves "
                                                              "`upcomingEvents` and members can no longer see it or "
                                                              "sign up.")


@strawberry.type
class EventQueries:
    @strawberry.field(description="Active events not yet started, soonest first (at most 50). Signed-in callers "
                                  "(anonymous: UNAUTHENTICATED).")
    async def upcoming_events(self, info: Info) -> list[Event]:
        if not info.context.viewer.is_authenticated:
            info.context.viewer.require_member()
        return [Event.from_domain(e) for e in await services.upcoming(info.context.uow(), info.context.container.now())]


    @strawberry.field(description="One event (signed-in callers; anonymous: UNAUTHENTICATED); unknown, or "
                                  "withdrawn for anyone but staff: NOT_FOUND.")
    async def event(self, info: Info,
                    id: Annotated[strawberry.ID, strawberry.argument(description="The event's global id.")]) -> Event:
        return Event.from_domain(await services.event_for(info.context.uow(), info.context.viewer,
                                                             parse_id(id, type_name="Event")))


@strawberry.type
class EventMutations:
    @strawberry.mutation(description="Staff: create (no id) or change an event; BAD_USER_INPUT with the fields at "
                                     "fault, NOT_FOUND for an unknown id.")
    async def save_event(self, info: Info, input: Annotated[SaveEventInput, strawberry.argument(
            description="The event.")]) -> Event:
        ctx = info.context
        event = DomainMeetup(parse_id(input.id) if input.id else 0, input.title, input.capacity, input.starts_at,
                               input.signup_opens_at, input.signup_closes_at, input.description,
                               input.min_tier_rank, input.attendance_points, 0, input.active)
        return Event.from_domain(await services.save_event(ctx.uow(), ctx.viewer, event, ctx.container.now()))

    @strawberry.mutation(description="Members: take a place at an event (signing up again returns the same "
                                     "sign-up). NOT_FOUND for an unknown or withdrawn event, CONFLICT outside the "
                                     "sign-up window, FORBIDDEN below its tier, EVENT_FULL when no places are left.")
    async def sign_up_for_event(self, info: Info, event_id: Annotated[strawberry.ID, strawberry.argument(
            description="The event's global id.")]) -> EventSignup:
        ctx = info.context
        return EventSignup.from_domain(await services.sign_up(ctx.uow(), ctx.viewer, parse_id(event_id, "eventId"),
                                                              ctx.container.now()))

    @strawberry.mutation(description="Members: give back their place (the sign-up becomes CANCELLED); NOT_FOUND "
                                     "when they are not signed up (or already attended).")
    async def cancel_event_signup(self, info: Info, event_id: Annotated[strawberry.ID, strawberry.argument(
            description="The event's global id.")]) -> EventSignup:
        ctx = info.context
        return EventSignup.from_domain(await services.cancel(ctx.uow(), ctx.viewer, parse_id(event_id, "eventId"),
                                                             ctx.container.now()))

    @strawberry.mutation(description="Staff: check a member in at the door with their code (pays the attendance "
                                     "points once; checking in again returns the same sign-up). NOT_FOUND for an "
                                     "unknown or cancelled sign-up.")
    async def check_in_attendee(self, info: Info, code: Annotated[str, strawberry.argument(
            description="The member's `checkinCode` (4 to 16 letters and digits; case-insensitive).")]) -> EventSignup:
        ctx = info.context
        return EventSignup.from_domain(await services.check_in_attendee(ctx.uow(), ctx.viewer, code,
                                                                        ctx.container.now(), ctx.container.clock.zone))
