"""Badges and titles, challenges, and points draws (积分抽奖)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.gamification import badges as badge_cases
from domain.gamification import challenges as challenge_cases
from domain.gamification import draws as draw_cases
from domain.gamification.model import Badge as DomainBadge
from domain.gamification.model import BadgeRule as DomainBadgeRule
from domain.gamification.model import Challenge as DomainChallenge
from domain.gamification.model import ChallengeGoal as DomainChallengeGoal
from domain.gamification.model import ChallengeProgress as DomainProgress
from domain.gamification.model import Draw as DomainDraw
from domain.gamification.model import MemberBadge as DomainMemberBadge
from domain.gamification.model import Prize as DomainPrize
from domain.gamification.model import PrizeKind as DomainPrizeKind
from domain.gamification.model import Ticket as DomainTicket
from domain.messages import EN
from schema.connections import PageInfo
from schema.enums import register_enum
from schema.info import Info
from schema.refs import Node, global_id, parse_id

register_enum(DomainBadgeRule, "BadgeRule", "How a badge is earned; the badge's `threshold` gives the number.", {
    "TOP_EARNERS_OF_MONTH": "One of the `threshold` members who earned the most points in a calendar month "
                            "(program time zone); awarded on the 1st of the next month, current through it.",
    "QUALIFIED_REFERRALS": "At least `threshold` invited friends made their qualifying first purchase.",
    "CHECKIN_STREAK": "Checked in `threshold` days in a row.",
})
BadgeRule = DomainBadgeRule

register_enum(DomainChallengeGoal, "ChallengeGoal", "What a challenge counts within its window.", {
    "PURCHASES": "Purchases (one refunded in full does not count).",
    "SPEND": "Net spend in fen (purchases less refunds).",
    "CHECKIN_DAYS": "Days checked in (program time zone; make-up check-ins do not count).",
})
ChallengeGoal = DomainChallengeGoal

register_enum(DomainPrizeKind, "PrizeKind", "What a draw prize gives.", {
    "POINTS": "Points, credited at once.",
    "GOODS": "A gift collected in store by showing the ticket's `claimCode`.",
})
PrizeKind = DomainPrizeKind


def _english(info: Info) -> bool:
    return info.context.language == EN


@strawberry.type(description="A badge a member can earn. Names and titles come in the caller's language "
                             "(Accept-Language: zh-CN by default, or en).")
class Badge:
    code: str = strawberry.field(description="Stable code of the badge, e.g. POINTS_HERO.")
    name: str = strawberry.field(description="Display name, e.g. 积分英雄.")
    title: str | None = strawberry.field(description="The title a holder carries on their profile and in the "
                                                     "community while the badge is current; null: none.")
    rule: BadgeRule = strawberry.field(description="How the badge is earned.")
    threshold: int = strawberry.field(description="The number the rule needs (members, referrals or days).")
    rank: int = strawberry.field(description="Higher ranks win when a member holds several titles.")
    active: bool = strawberry.field(description="False: no longer awarded (awarded badges stay).")

    @classmethod
    def from_domain(cls, b: DomainBadge, english: bool) -> Badge:
        return cls(code=b.code, name=b.name_en if english else b.name,
                   title=(b.title_en if english else b.title) if b.title else None, rule=b.rule,
                   threshold=b.threshold, rank=b.rank, active=b.active)


@strawberry.type(description="A badge a member holds.")
class EarnedBadge:
    badge: Badge = strawberry.field(description="The badge.")
    period: str | None = strawberry.field(description="For a monthly badge, the month it was earned for "
                                                      "(YYYY-MM); null for a lasting one.")
    awarded_at: datetime = strawberry.field(description="When it was awarded (UTC).")
    expires_at: datetime | None = strawberry.field(description="When its title stops showing (UTC); null: never.")
    current: bool = strawberry.field(description="True while the badge (and its title) is current.")

    @classmethod
    def from_domain(cls, b: DomainMemberBadge, english: bool, now: datetime) -> EarnedBadge:
        return cls(badge=Badge.from_domain(b.badge, english), period=b.period or None, awarded_at=b.awarded_at,
                   expires_at=b.expires_at, current=b.current(now))


@strawberry.type(description="A member's badges and the title they carry.")
class BadgeShelf:
    title: str | None = strawberry.field(description="The title of the member's highest-ranked current badge; "
                                                     "null: none.")
    badges: list[EarnedBadge] = strawberry.field(description="Every badge held, newest first.")


async def load_badges(info: Info, member_id: int) -> BadgeShelf:
    ctx = info.context
    shelf = await badge_cases.member_badges(member_id, ctx.deps())
    english, now = _english(info), ctx.container.now()
    title = shelf.title
    return BadgeShelf(title=((title.title_en if english else title.title) if title else None),
                      badges=[EarnedBadge.from_domain(b, english, now) for b in shelf.badges])


@strawberry.type(description="A challenge (\"buy 3 times this month\", \"check in 7 days\") with a points reward.")
class Challenge:
    id: strawberry.ID = strawberry.field(description="The challenge id.")
    name: str = strawberry.field(description="Display name.")
    description: str = strawberry.field(description="What to do, for the challenge page.")
    goal: ChallengeGoal = strawberry.field(description="What is counted.")
    target: int = strawberry.field(description="How many (purchases, fen or days) complete it.")
    reward_points: int = strawberry.field(description="Points paid once when the member claims it completed.")
    starts_at: datetime = strawberry.field(description="Start of the window (UTC).")
    ends_at: datetime = strawberry.field(description="End of the window (UTC, exclusive). A completed challenge "
                                                     "can be claimed until 7 days later.")

    @classmethod
    def from_domain(cls, c: DomainChallenge) -> Challenge:
        return cls(id=strawberry.ID(str(c.id)), name=c.name, description=c.description, goal=c.goal, target=c.target,
                   reward_points=c.reward_points, starts_at=c.starts_at, ends_at=c.ends_at)


@strawberry.type(description="A member's progress on a challenge.")
class ChallengeProgress:
    challenge: Challenge = strawberry.field(description="The challenge.")
    progress: int = strawberry.field(description="Counted so far in the window (may pass the target).")
    completed: bool = strawberry.field(description="True once `progress` reaches the target.")
    claimed: bool = strawberry.field(description="True once the reward was paid.")

    @classmethod
    def from_domain(cls, p: DomainProgress) -> ChallengeProgress:
        return cls(challenge=Challenge.from_domain(p.challenge), progress=p.progress, completed=p.completed,
                   claimed=p.claimed)


async def load_challenges(info: Info, member_id: int) -> list[ChallengeProgress]:
    ctx = info.context
    return [ChallengeProgress.from_domain(p) for p in await challenge_cases.member_challenges(member_id, ctx.deps())]


@strawberry.type(description="A prize of a draw.")
class Prize:
    id: strawberry.ID = strawberry.field(description="The prize id.")
    name: str = strawberry.field(description="Display name.")
    kind: PrizeKind = strawberry.field(description="What it gives.")
    points: int = strawberry.field(description="Points given, for a POINTS prize; else 0.")
    chance_bp: int = strawberry.field(description="Chance per ticket in basis points (100 = 1%).")
    stock: int = strawberry.field(description="Left to win; a roll that lands on a prize with none left wins "
                                              "nothing.")
    initial_stock: int = strawberry.field(description="Stock when the draw was created.")

    @classmethod
    def from_domain(cls, p: DomainPrize) -> Prize:
        return cls(id=strawberry.ID(str(p.id)), name=p.name, kind=p.kind, points=p.points, chance_bp=p.weight_bp,
                   stock=p.stock, initial_stock=p.initial_stock)


@strawberry.type(description="A points draw (积分抽奖): spend points on a ticket, win a prize by chance. Fair and "
                             "checkable: `seedHash` is published from the start, `seed` once the draw ends, and "
                             "every ticket's `roll` is HMAC-SHA256(seed, \"drawId:memberId:idempotencyKey\") read "
                             "as a big-endian integer from its first 8 bytes, modulo 10,000; prizes take "
                             "consecutive ranges of rolls, as wide as their chance, in the order listed.")
class Draw(Node):
    id: strawberry.ID = strawberry.field(description="Global id of the draw (works with `node`).")
    name: str = strawberry.field(description="Display name.")
    ticket_points: int = strawberry.field(description="Points one ticket costs.")
    tickets_per_member: int | None = strawberry.field(description="Most tickets one member may hold; null: no "
                                                                  "limit.")
    starts_at: datetime = strawberry.field(description="When tickets go on sale (UTC).")
    ends_at: datetime = strawberry.field(description="When the draw ends (UTC).")
    prizes: list[Prize] = strawberry.field(description="The prizes, in roll-range order.")
    seed_hash: str = strawberry.field(description="SHA-256 (hex) of the seed, fixed before any ticket was sold.")
    seed: str | None = strawberry.field(description="The seed, revealed once the draw has ended; null before.")

    @classmethod
    def from_domain(cls, d: DomainDraw, now: datetime) -> Draw:
        return cls(id=global_id("Draw", d.id), name=d.name, ticket_points=d.ticket_points,
                   tickets_per_member=d.tickets_per_member, starts_at=d.starts_at, ends_at=d.ends_at,
                   prizes=[Prize.from_domain(p) for p in d.prizes], seed_hash=d.seed_hash, seed=d.revealed_seed(now))


@strawberry.type(description="A draw ticket and what it won.")
class DrawTicket:
    id: strawberry.ID = strawberry.field(description="The ticket id.")
    draw_id: strawberry.ID = strawberry.field(description="Global id of the draw.")
    roll: int = strawberry.field(description="The ticket's roll, 0 to 9,999 (see `Draw`).")
    picked_prize_id: strawberry.ID | None = strawberry.field(description="The prize whose range the roll fell in; "
                                                                         "null: none.")
    prize: Prize | None = strawberry.field(description="What the member won; null: nothing (no range, or that "
                                                       "prize had none left).")
    claim_code: str | None = strawberry.field(description="For a GOODS prize, the code to show in store; else null.")
    created_at: datetime = strawberry.field(description="When the ticket was bought (UTC).")

    @classmethod
    def from_domain(cls, t: DomainTicket, draw: DomainDraw | None) -> DrawTicket:
        prizes = {p.id: p for p in draw.prizes} if draw else {}
        won = prizes.get(t.prize_id) if t.prize_id is not None else None
        return cls(id=strawberry.ID(str(t.id)), draw_id=global_id("Draw", t.draw_id), roll=t.roll,
                   picked_prize_id=strawberry.ID(str(t.picked_prize_id)) if t.picked_prize_id else None,
                   prize=Prize.from_domain(won) if won else None, claim_code=t.claim_code, created_at=t.created_at)


@strawberry.type(description="One ticket of a page.")
class DrawTicketEdge:
    cursor: str = strawberry.field(description="Opaque cursor; pass it as `after` to read on.")
    node: DrawTicket = strawberry.field(description="The ticket (its `prize` is null here: read the draw for "
                                                    "prize details by `pickedPrizeId`).")


@strawberry.type(description="A member's draw tickets, newest first.")
class DrawTicketConnection:
    edges: list[DrawTicketEdge] = strawberry.field(description="The tickets of this page.")
    page_info: PageInfo = strawberry.field(description="Whether older tickets follow.")


async def load_tickets(info: Info, member_id: int, first: int, after: str | None) -> DrawTicketConnection:
    ctx = info.context
    page = await draw_cases.member_tickets(member_id, first, after, ctx.deps())
    edges = [DrawTicketEdge(cursor=c, node=DrawTicket.from_domain(t, None)) for c, t in page.items]
    return DrawTicketConnection(edges=edges, page_info=PageInfo(has_next_page=page.has_next,
                                                                end_cursor=edges[-1].cursor if edges else None))


@strawberry.type(description="The result of `enterDraw`.")
class EnterDrawPayload:
    ticket: DrawTicket = strawberry.field(description="The ticket (the same one again for a retried key).")
    draw: Draw = strawberry.field(description="The draw, with prize stock after this ticket.")


@strawberry.input(description="A prize of a new draw.")
class PrizeInput:
    name: str = strawberry.field(description="Display name, 1 to 60 characters.")
    kind: PrizeKind = strawberry.field(description="What it gives.")
    chance_bp: int = strawberry.field(description="Chance per ticket in basis points, 1 to 10,000; all prizes "
                                                  "together at most 10,000.")
    stock: int = strawberry.field(description="How many can be won, 0 to 10,000,000.")
    points: int = strawberry.field(default=0, description="Points given, for a POINTS prize (1 to 1,000,000).")


@strawberry.input(description="A new draw.")
class DrawInput:
    name: str = strawberry.field(description="Display name, 1 to 60 characters.")
    ticket_points: int = strawberry.field(description="Points one ticket costs, 1 to 1,000,000.")
    starts_at: datetime = strawberry.field(description="When tickets go on sale (with an offset or Z).")
    ends_at: datetime = strawberry.field(description="When the draw ends; after `startsAt`.")
    prizes: list[PrizeInput] = strawberry.field(description="1 to 20 prizes, in roll-range order.")
    tickets_per_member: int | None = strawberry.field(default=None, description="Most tickets one member may "
                                                                                "hold; null: no limit.")


@strawberry.input(description="A challenge to create (no id) or change.")
class ChallengeInput:
    name: str = strawberry.field(description="Display name, 1 to 60 characters.")
    goal: ChallengeGoal = strawberry.field(description="What is counted.")
    target: int = strawberry.field(description="How many complete it, 1 to 100,000,000.")
    reward_points: int = strawberry.field(description="Points paid on claiming, 1 to 1,000,000.")
    starts_at: datetime = strawberry.field(description="Start of the window.")
    ends_at: datetime = strawberry.field(description="End of the window (exclusive); after `startsAt`.")
    description: str = strawberry.field(default="", description="What to do, up to 300 characters.")
    id: strawberry.ID | None = strawberry.field(default=None, description="The challenge to change; omit to create.")


@strawberry.input(description="A badge to create or change (matched by `code`).")
class BadgeInput:
    code: str = strawberry.field(description="Stable code: 2 to 40 capital letters, digits or _, e.g. POINTS_HERO.")
    name: str = strawberry.field(description="Name in Chinese, 1 to 40 characters, e.g. 积分英雄.")
    name_en: str = strawberry.field(description="Name in English, 1 to 60 characters.")
    rule: BadgeRule = strawberry.field(description="How it is earned.")
    threshold: int = strawberry.field(description="The number the rule needs, 1 to 10,000.")
    title: str | None = strawberry.field(default=None, description="Title in Chinese its holders carry (up to 40 "
                                                                   "characters); null: none.")
    title_en: str | None = strawberry.field(default=None, description="The title in English; given with `title`.")
    rank: int = strawberry.field(default=0, description="0 to 1,000; the highest-ranked current title is shown.")
    active: bool = strawberry.field(default=True, description="False: no longer awarded.")


@strawberry.type
class GamificationQueries:
    @strawberry.field(description="Points draws open now, ending soonest first (at most 50). Anyone may look.")
    async def draws(self, info: Info) -> list[Draw]:
        ctx = info.context
        now = ctx.container.now()
        return [Draw.from_domain(d, now) for d in await draw_cases.open_draws(ctx.deps())]

    @strawberry.field(description="One draw, open or ended (an ended draw shows its seed); NOT_FOUND for an "
                                  "unknown id.")
    async def draw(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(
            description="The draw's global id.")]) -> Draw:
        ctx = info.context
        return Draw.from_domain(await draw_cases.get_draw(parse_id(id, "id", "Draw"), ctx.deps()),
                                ctx.container.now())

    @strawberry.field(description="Every badge of the program, highest rank first.")
    async def badges(self, info: Info) -> list[Badge]:
        ctx = info.context
        english = _english(info)
        return [Badge.from_domain(b, english) for b in await badge_cases.list_badges(ctx.deps())]


@strawberry.type
class GamificationMutations:
    @strawberry.mutation(description="Member: buy a ticket for a draw with points; the roll decides the prize at "
                                     "once. A retry with the same key returns the same ticket and pays nothing. "
                                     "Errors: NOT_FOUND, NOT_ELIGIBLE (draw not open), LIMIT_EXCEEDED (tickets per "
                                     "member), INSUFFICIENT_POINTS, BAD_USER_INPUT.")
    async def enter_draw(
        self, info: Info,
        draw_id: Annotated[strawberry.ID, strawberry.argument(description="The draw's global id.")],
        idempotency_key: Annotated[str, strawberry.argument(description="A new key per ticket (1-100 letters, digits "
                                                                        "or . _ : / -); it also seeds the roll.")],
    ) -> EnterDrawPayload:
        ctx = info.context
        outcome = await draw_cases.enter_draw(draw_cases.EnterDraw(parse_id(draw_id, "drawId", "Draw"),
                                                                   idempotency_key), ctx.deps())
        return EnterDrawPayload(ticket=DrawTicket.from_domain(outcome.ticket, outcome.draw),
                                draw=Draw.from_domain(outcome.draw, ctx.container.now()))

    @strawberry.mutation(description="Member: collect a completed challenge's points (once; again returns the same "
                                     "state). Errors: NOT_FOUND, NOT_ELIGIBLE (not complete, or claimed too late).")
    async def claim_challenge_reward(
        self, info: Info,
        challenge_id: Annotated[strawberry.ID, strawberry.argument(description="The challenge id.")],
    ) -> ChallengeProgress:
        ctx = info.context
        found = await challenge_cases.claim_challenge_reward(
            challenge_cases.ClaimReward(parse_id(challenge_id, "challengeId")), ctx.deps())
        return ChallengeProgress.from_domain(found)

    @strawberry.mutation(description="Staff: create a draw with its prizes (the seed is generated, its hash "
                                     "published); audited. Errors: BAD_USER_INPUT with fieldErrors.")
    async def create_draw(self, info: Info, input: Annotated[DrawInput, strawberry.argument(
            description="The draw.")]) -> Draw:
        ctx = info.context
        draw = DomainDraw(0, input.name, input.ticket_points, input.tickets_per_member, "", input.starts_at,
                          input.ends_at, [DomainPrize(0, i, p.name, p.kind, p.points, p.chance_bp, p.stock, p.stock)
                                          for i, p in enumerate(input.prizes)], "")
        return Draw.from_domain(await draw_cases.create_draw(draw, ctx.deps()), ctx.container.now())

    @strawberry.mutation(description="Staff: create or change a challenge; audited. Errors: BAD_USER_INPUT, "
                                     "NOT_FOUND.")
    async def save_challenge(self, info: Info, input: Annotated[ChallengeInput, strawberry.argument(
            description="The challenge.")]) -> Challenge:
        ctx = info.context
        challenge = DomainChallenge(parse_id(input.id, "id") if input.id else 0, input.name, input.description,
                                    input.goal, input.target, input.reward_points, input.starts_at, input.ends_at)
        return Challenge.from_domain(await challenge_cases.save_challenge(challenge, ctx.deps()))

    @strawberry.mutation(description="Staff: create a badge, or change the one with this code (badges already "
                                     "awarded stay); audited. Errors: BAD_USER_INPUT with fieldErrors.")
    async def save_badge(self, info: Info, input: Annotated[BadgeInput, strawberry.argument(
            description="The badge.")]) -> Badge:
        ctx = info.context
        saved = await badge_cases.save_badge(DomainBadge(0, input.code, input.name, input.name_en, input.title,
                                                         input.title_en, input.rule, input.threshold, input.rank,
                                                         input.active), ctx.deps())
        return Badge.from_domain(saved, _english(info))

    @strawberry.mutation(description="Staff: run the badge rules now (the worker runs them every day); returns "
                                     "how many badges were awarded.")
    async def award_badges(self, info: Info) -> int:
        ctx = info.context
        return await badge_cases.award_badges_now(ctx.deps())
