"""Tier perks as entitlements: kinds, per-tier quotas, a member's remaining quota, uses at stores."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.entitlements import services
from domain.entitlements.model import EntitlementKind as DomainKind
from domain.entitlements.model import EntitlementPeriod as DomainPeriod
from domain.entitlements.model import EntitlementStatus as DomainStatus
from domain.entitlements.model import EntitlementUse as DomainUse
from domain.entitlements.model import Grant as DomainGrant
from domain.messages import EN
from schema.connections import PageInfo
from schema.enums import register_enum
from schema.info import Info
from schema.refs import MemberRefInput, Node, global_id, parse_id
from schema.tiers import Tier

# Registered in place (strawberry.enum returns the class itself), so type checkers see a plain enum.
register_enum(DomainPeriod, "EntitlementPeriod", "The span a quota is counted over; its edges are local "
                                                 "midnight in the program time zone.", {
    "DAY": "One calendar day.",
    "WEEK": "Monday to Sunday.",
    "MONTH": "One calendar month.",
    "YEAR": "One calendar year.",
})
EntitlementPeriod = DomainPeriod


@strawberry.type(description="A kind of tier perk (parking hours, lounge visits, gift wrapping...).")
class EntitlementKind:
    id: strawberry.ID = strawberry.field(description="The kind's id.")
    code: str = strawberry.field(description="Stable upper-case code POS systems send (e.g. PARKING_HOURS).")
    name: str = strawberry.field(description="Name in the caller's language (Accept-Language).")
    unit: str = strawberry.field(description="Unit of the quota in the caller's language (e.g. 小时 / hours).")
    name_zh: str = strawberry.field(description="Chinese name.")
    name_en: str = strawberry.field(description="English name.")
    unit_zh: str = strawberry.field(description="Chinese unit.")
    unit_en: str = strawberry.field(description="English unit.")
    active: bool = strawberry.field(description="False: retired; members no longer see it and it cannot be used.")

    @classmethod
    def from_domain(cls, k: DomainKind, language: str) -> EntitlementKind:
        english = language == EN
        return cls(id=strawberry.ID(str(k.id)), code=k.code, name=k.name_en if english else k.name_zh,
                   unit=k.unit_en if english else k.unit_zh, name_zh=k.name_zh, name_en=k.name_en,
                   unit_zh=k.unit_zh, unit_en=k.unit_en, active=k.active)


@strawberry.type(description="What one tier grants of one entitlement kind.")
class EntitlementGrant:
    tier_id: strawberry.ID = strawberry.field(description="The tier granting it.")
    kind: EntitlementKind = strawberry.field(description="The perk.")
    unlimited: bool = strawberry.field(description="True: no quota (e.g. gift wrapping).")
    quota: int | None = strawberry.field(description="How many units per period; null when unlimited.")
    period: EntitlementPeriod | None = strawberry.field(description="The span the quota counts over; null when "
                                                                   "unlimited.")
    discount_pct: int | None = strawberry.field(description="A member price: percent off lines of `categories` "
                                                            "(applied by `priceQuote`); null for other perks.")
    categories: list[str] = strawberry.field(description="The member price's categories; empty: every category.")

    @classmethod
    def from_domain(cls, g: DomainGrant, kind: DomainKind, language: str) -> EntitlementGrant:
        return cls(tier_id=strawberry.ID(str(g.tier_id)), kind=EntitlementKind.from_domain(kind, language),
                   unlimited=g.unlimited, quota=g.quota, period=g.period, discount_pct=g.discount_pct,
                   categories=list(g.categories))


@strawberry.type(description="A perk the member's tier grants, with what is left of it this period.")
class Entitlement:
    kind: EntitlementKind = strawberry.field(description="The perk.")
    unlimited: bool = strawberry.field(description="True: no quota; `used`, `remaining` and `resetsAt` do not "
                                                   "apply.")
    quota: int | None = strawberry.field(description="Units per period; null when unlimited.")
    period: EntitlementPeriod | None = strawberry.field(description="The span the quota counts over.")
    used: int = strawberry.field(description="Units used in the current period (0 when unlimited).")
    remaining: int | None = strawberry.field(description="Units left this period; null when unlimited.")
    period_start: datetime | None = strawberry.field(description="Start of the current period (UTC); local "
                                                                 "midnight in the program time zone.")
    resets_at: datetime | None = strawberry.field(description="When the quota is full again: the start of the "
                                                              "next period (UTC); null when unlimited.")
    discount_pct: int | None = strawberry.field(description="A member price: percent off lines of `categories`; "
                                                            "null for other perks.")
    categories: list[str] = strawberry.field(description="The member price's categories; empty: every category.")

    @classmethod
    def from_domain(cls, s: DomainStatus, language: str) -> Entitlement:
        return cls(kind=EntitlementKind.from_domain(s.kind, language), unlimited=s.grant.unlimited,
                   quota=s.grant.quota, period=s.grant.period, used=s.used, remaining=s.remaining,
                   period_start=s.period_start, resets_at=s.resets_at, discount_pct=s.grant.discount_pct,
                   categories=list(s.grant.categories))


@strawberry.type(description="What the next tier up adds to the member's perks.")
class NextTierEntitlements:
    tier: Tier | None = strawberry.field(description="The next tier; null at the top of the ladder.")
    adds: list[EntitlementGrant] = strawberry.field(description="Perks the next tier grants that the member "
                                                                "lacks, or grants more generously.")


@strawberry.type(description="One use of a perk at a store.")
class EntitlementUse(Node):
    id: strawberry.ID = strawberry.field(description="Global id of the use (`node(id)` fetches it again: the "
                                                     "member or staff).")
    kind: EntitlementKind = strawberry.field(description="The perk used.")
    quantity: int = strawberry.field(description="Units used.")
    store_id: str = strawberry.field(description="The store where it was used.")
    used_at: datetime = strawberry.field(description="When (UTC).")

    @classmethod
    def from_domain(cls, u: DomainUse, kind: DomainKind, language: str) -> EntitlementUse:
        return cls(id=global_id("EntitlementUse", u.id), kind=EntitlementKind.from_domain(kind, language),
                   quantity=u.quantity, store_id=u.store_id, used_at=u.used_at)


@strawberry.type(description="A perk use with its cursor.")
class EntitlementUseEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this use: pass as `after`.")
    node: EntitlementUse = strawberry.field(description="The use.")


@strawberry.type(description="A page of a member's perk uses, newest first.")
class EntitlementUseConnection:
    edges: list[EntitlementUseEdge] = strawberry.field(description="The uses of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="The cursor to continue from and whether more pages exist.")

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[EntitlementUse]:
        return [e.node for e in self.edges]


async def load_entitlements(info: Info, member_id: int) -> list[Entitlement]:
    ctx = info.context
    found = await services.member_entitlements(member_id, ctx.deps())
    return [Entitlement.from_domain(s, ctx.language) for s in found.current]


async def load_next_tier_entitlements(info: Info, member_id: int) -> NextTierEntitlements:
    ctx = info.context
    found = await services.member_entitlements(member_id, ctx.deps())
    return NextTierEntitlements(
        tier=Tier.from_domain(found.next_tier) if found.next_tier else None,
        adds=[EntitlementGrant.from_domain(g, found.kinds[g.kind_id], ctx.language) for g in found.next_tier_adds])


async def load_entitlement_uses(info: Info, member_id: int, first: int, after: str | None
                                ) -> EntitlementUseConnection:
    ctx = info.context
    page = await services.entitlement_uses(member_id, first, after, ctx.deps())
    edges = [EntitlementUseEdge(cursor=services.cursor_of(u),
                                node=EntitlementUse.from_domain(u, page.kinds[u.kind_id], ctx.language))
             for u in page.uses]
    return EntitlementUseConnection(edges=edges, page_info=PageInfo(
        has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


@strawberry.input(description="An entitlement kind to create (no `id`) or replace (with `id`).")
class SaveEntitlementKindInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="The kind to change; null creates one.")
    code: str = strawberry.field(description="1 to 30 upper-case letters, digits or _ (stored upper case); unique.")
    name_zh: str = strawberry.field(description="Chinese name, 1 to 40 characters (e.g. 免费停车).")
    name_en: str = strawberry.field(description="English name, 1 to 60 characters (e.g. Free parking).")
    unit_zh: str = strawberry.field(description="Chinese unit, 1 to 10 characters (e.g. 小时).")
    unit_en: str = strawberry.field(description="English unit, 1 to 20 characters (e.g. hours).")
    active: bool = strawberry.field(default=True, description="False retires the kind.")


@strawberry.type(description="The result of `saveEntitlementKind`.")
class SaveEntitlementKindPayload:
    kind: EntitlementKind = strawberry.field(description="The kind as saved.")


@strawberry.input(description="One perk a tier grants.")
class TierEntitlementInput:
    kind_code: str = strawberry.field(description="The kind's code.")
    quota: int | None = strawberry.field(default=None, description="Units per period, 1 to 1,000,000; null for "
                                                                   "unlimited.")
    period: EntitlementPeriod | None = strawberry.field(default=None, description="The span the quota counts over; "
                                                                                 "required with a quota, null "
                                                                                 "without.")
    discount_pct: int | None = strawberry.field(default=None, description="Makes this perk a member price: 1 to 50 "
                                                                          "percent off (no quota, no period).")
    categories: list[str] = strawberry.field(default_factory=list, description="The member price's categories (at "
                                                                               "most 50); empty: every category.")


@strawberry.input(description="Everything one tier grants (replaces what it granted before).")
class SetTierEntitlementsInput:
    tier_id: strawberry.ID = strawberry.field(description="The tier.")
    grants: list[TierEntitlementInput] = strawberry.field(description="The tier's perks (at most 50; each kind "
                                                                      "once). An empty list removes them all.")


@strawberry.type(description="The result of `setTierEntitlements`.")
class SetTierEntitlementsPayload:
    grants: list[EntitlementGrant] = strawberry.field(description="The tier's perks as saved.")


@strawberry.input(description="A perk used at a store for a member.")
class UseEntitlementInput:
    member: MemberRefInput = strawberry.field(description="The member (exactly one way of naming them).")
    kind_code: str = strawberry.field(description="The perk's code (e.g. PARKING_HOURS; case-insensitive).")
    quantity: int = strawberry.field(default=1, description="Units to use, 1 to 1,000.")
    store_id: str = strawberry.field(description="The store (1-64 letters, digits or . _ : -); kept in the audit "
                                                 "log and the member's history.")
    idempotency_key: str = strawberry.field(description="A key per use (1-100 letters, digits or . _ : / -); a "
                                                        "retry with it replays the first result.")


@strawberry.type(description="The result of `useEntitlement`.")
class UseEntitlementPayload:
    use: EntitlementUse = strawberry.field(description="The use recorded (the first one, on a retry).")
    entitlement: Entitlement = strawberry.field(description="The perk after the use: what is left this period.")


def _grants(grants: list[DomainGrant], kinds: list[DomainKind], language: str) -> list[EntitlementGrant]:
    by_id = {k.id: k for k in kinds}
    return [EntitlementGrant.from_domain(g, by_id[g.kind_id], language) for g in grants]


@strawberry.type
class EntitlementQueries:
    @strawberry.field(description="Every entitlement kind, by code (retired ones included).")
    async def entitlement_kinds(self, info: Info) -> list[EntitlementKind]:
        ctx = info.context
        return [EntitlementKind.from_domain(k, ctx.language) for k in await services.list_kinds(ctx.deps())]

    @strawberry.field(description="What each tier grants (or one tier's grants), for the tier comparison screen.")
    async def tier_entitlements(
        self, info: Info, tier_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only this tier's perks; every tier's when null.")] = None,
    ) -> list[EntitlementGrant]:
        ctx = info.context
        grants = await services.list_grants(parse_id(tier_id, "tierId") if tier_id is not None else None,
                                            ctx.deps())
        kinds = await services.list_kinds(ctx.deps())
        active = {k.id for k in kinds if k.active}
        return _grants([g for g in grants if g.kind_id in active], kinds, ctx.language)


@strawberry.type
class EntitlementMutations:
    @strawberry.mutation(description="Staff: create or change an entitlement kind (audited). Errors: "
                                     "BAD_USER_INPUT (per field, a taken code), NOT_FOUND (unknown id).")
    async def save_entitlement_kind(self, info: Info, input: Annotated[SaveEntitlementKindInput, strawberry.argument(
            description="The kind.")]) -> SaveEntitlementKindPayload:
        ctx = info.context
        saved = await services.save_kind(DomainKind(
            id=parse_id(input.id) if input.id is not None else 0, code=input.code, name_zh=input.name_zh,
            name_en=input.name_en, unit_zh=input.unit_zh, unit_en=input.unit_en, active=input.active), ctx.deps())
        return SaveEntitlementKindPayload(kind=EntitlementKind.from_domain(saved, ctx.language))

    @strawberry.mutation(description="Staff: replace what one tier grants (audited). Errors: BAD_USER_INPUT "
                                     "(`grants.<i>.<field>`), NOT_FOUND (unknown tier).")
    async def set_tier_entitlements(self, info: Info, input: Annotated[SetTierEntitlementsInput, strawberry.argument(
            description="The tier and its perks.")]) -> SetTierEntitlementsPayload:
        ctx = info.context
        grants = await services.set_tier_entitlements(services.SetTierEntitlements(
            parse_id(input.tier_id, "tierId"),
            [services.GrantSpec(g.kind_code, g.quota, g.period, g.discount_pct, tuple(g.categories))
             for g in input.grants]), ctx.deps())
        kinds = await services.list_kinds(ctx.deps())
        return SetTierEntitlementsPayload(grants=_grants(grants, kinds, ctx.language))

    @strawberry.mutation(description="Staff/POS: use a member's perk at a store (idempotent, audited with the "
                                     "store). Errors: NOT_ELIGIBLE (the tier lacks it), LIMIT_EXCEEDED (quota "
                                     "used up; `remaining`, `resetsAt`), BAD_USER_INPUT, NOT_FOUND (member), "
                                     "IDEMPOTENCY_CONFLICT.")
    async def use_entitlement(self, info: Info, input: Annotated[UseEntitlementInput, strawberry.argument(
            description="The member, the perk, how much and where.")]) -> UseEntitlementPayload:
        ctx = info.context
        result = await services.use_entitlement(services.UseEntitlement(
            input.member.to_domain(), input.kind_code, input.quantity, input.store_id, input.idempotency_key),
            ctx.deps())
        return UseEntitlementPayload(
            use=EntitlementUse.from_domain(result.use, result.status.kind, ctx.language),
            entitlement=Entitlement.from_domain(result.status, ctx.language))
