"""Offline events and referrals."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.auth.viewer import Role
from domain.meetups import services
from domain.meetups.model import Event as Ev
from domain.meetups.model import Signup as Su
from domain.referrals import services as referrals
from schema.enums import SignupStatus
from schema.info import Info
from schema.refs import Node, global_id, parse_id


@strawberry.type
class Event(Node):
    id: strawberry.ID
    title: str
    description: str
    capacity: int
    seats_left: int
    min_tier_rank: int
    attendance_points: int
    signup_opens_at: datetime
    signup_closes_at: datetime
    starts_at: datetime
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
    def from_domain(cls, e: Ev) -> Event:
        return cls(id=global_id("Event", e.id), title=e.title, description=e.description, capacity=e.capacity,
                   seats_left=e.capacity - e.signed_up, min_tier_rank=e.min_tier_rank,
                   attendance_points=e.attendance_points, signup_opens_at=e.signup_opens_at,
                   signup_closes_at=e.signup_closes_at, starts_at=e.starts_at, event_id=e.id)


@strawberry.type
class EventSignup:
    event_id: strawberry.ID
    status: SignupStatus
    checkin_code: str = strawberry.field(description="Shown as a QR code at the door.")

    @classmethod
    def from_domain(cls, s: Su) -> EventSignup:
        return cls(event_id=global_id("Event", s.event_id), status=SignupStatus(s.status), checkin_code=s.checkin_code)


@strawberry.type
class Referrals:
    invite_code: str
    invited_count: int
    rewarded_invitees: int
    points_earned: int


async def load_referrals(info: Info, member_id: int) -> Referrals:
    found = await referrals.summary(info.context.uow(), info.context.viewer, member_id)
    return Referrals(invite_code=found.invite_code, invited_count=found.invited,
                     rewarded_invitees=found.rewarded_invitees, points_earned=found.points_earned)


@strawberry.input
class SaveEventInput:
    id: strawberry.ID | None = None
    title: str
    capacity: int
    starts_at: datetime
    signup_opens_at: datetime
    signup_closes_at: datetime
    description: str = ""
    min_tier_rank: int = 0
    attendance_points: int = 0
    active: bool = True


@strawberry.type
class EventQueries:
    @strawberry.field
    async def upcoming_events(self, info: Info) -> list[Event]:
        if not info.context.viewer.is_authenticated:
            info.context.viewer.require_member()
        return [Event.from_domain(e) for e in await services.upcoming(info.context.uow(), info.context.container.now())]


    @strawberry.field(description="One event (signed-in callers); unknown: NOT_FOUND.")
    async def event(self, info: Info, id: strawberry.ID) -> Event:
        return Event.from_domain(await services.event_for(info.context.uow(), info.context.viewer,
                                                             parse_id(id, type_name="Event")))


@strawberry.type
class EventMutations:
    @strawberry.mutation(description="Staff: create (no id) or change an event.")
    async def save_event(self, info: Info, input: SaveEventInput) -> Event:
        ctx = info.context
        event = Ev(parse_id(input.id) if input.id else 0, input.title, input.capacity, input.starts_at,
                               input.signup_opens_at, input.signup_closes_at, input.description,
                               input.min_tier_rank, input.attendance_points, 0, input.active)
        return Event.from_domain(await services.save_event(ctx.uow(), ctx.viewer, event, ctx.container.now()))

    @strawberry.mutation
    async def sign_up_for_event(self, info: Info, event_id: strawberry.ID) -> EventSignup:
        ctx = info.context
        return EventSignup.from_domain(await services.sign_up(ctx.uow(), ctx.viewer, parse_id(event_id, "eventId"),
                                                              ctx.container.now()))

    @strawberry.mutation
    async def cancel_event_signup(self, info: Info, event_id: strawberry.ID) -> EventSignup:
        ctx = info.context
        return EventSignup.from_domain(await services.cancel(ctx.uow(), ctx.viewer, parse_id(event_id, "eventId"),
                                                             ctx.container.now()))

    @strawberry.mutation(description="Staff: check a member in at the door with their code (pays points once).")
    async def check_in_attendee(self, info: Info, code: str) -> EventSignup:
        ctx = info.context
        return EventSignup.from_domain(await services.check_in_attendee(ctx.uow(), ctx.viewer, code,
                                                                        ctx.container.now()))
