"""Entitlement use cases: staff configure kinds and what each tier grants; members read what they
have left this period; staff at a store record a use, once per idempotency key, never beyond quota."""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain import cursors
from domain.auth.viewer import Role
from domain.benefits.errors import NotEligible
from domain.deps import Deps
from domain.entitlements.model import EntitlementKind, EntitlementPeriod, EntitlementStatus, EntitlementUse, Grant
from domain.entitlements.periods import period_bounds
from domain.entitlements.rules import MAX_USE_QUANTITY, STORE_ID, next_tier_adds, validate_grants, validate_kind
from domain.errors import BadUserInput, FieldError, LimitExceeded, NotFound
from domain.idempotency import check_key, idempotent
from domain.members.lookup import MemberRef, resolve
from domain.ports import UnitOfWork
from domain.tiers.model import Tier
from domain.tiers.rules import ladder, next_tier
from domain.visibility import reads_member

MAX_PAGE = 100


# --- staff configuration -------------------------------------------------------------------------

async def save_kind(kind: EntitlementKind, deps: Deps) -> EntitlementKind:
    """Create (id 0) or change a kind; the code is the key POS systems send, so it is unique."""
    staff_id = deps.viewer.require_staff()
    kind = validate_kind(replace(kind, code=kind.code.strip().upper(), name_zh=kind.name_zh.strip(),
                                 name_en=kind.name_en.strip(), unit_zh=kind.unit_zh.strip(),
                                 unit_en=kind.unit_en.strip()))
    uow, now = deps.uow, deps.clock.now()
    async with uow:
        existing = await uow.entitlements.kinds()
        if kind.id and not any(k.id == kind.id for k in existing):
            raise NotFound("No such entitlement kind.")
        if any(k.code == kind.code and k.id != kind.id for k in existing):
            raise BadUserInput.for_field("code", f"The code {kind.code} is taken.")
        saved = await uow.entitlements.save_kind(kind)
        await uow.audit.record(Role.STAFF, staff_id, "entitlement_kind.saved", f"entitlement_kind:{saved.id}",
                               {"code": saved.code, "active": saved.active}, now)
        await uow.commit()
    return saved


@dataclass(frozen=True)
class GrantSpec:
    kind_code: str
    quota: int | None
    period: EntitlementPeriod | None
    discount_pct: int | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class SetTierEntitlements:
    tier_id: int
    grants: list[GrantSpec]


async def set_tier_entitlements(cmd: SetTierEntitlements, deps: Deps) -> list[Grant]:
    """Replace everything one tier grants. Uses already made stay counted in their period."""
    staff_id = deps.viewer.require_staff()
    uow, now = deps.uow, deps.clock.now()
    async with uow:
        if not any(t.id == cmd.tier_id for t in await uow.tiers.tiers()):
            raise NotFound("No such tier.")
        by_code = {k.code: k for k in await uow.entitlements.kinds()}
        unknown = [FieldError(f"grants.{i}.kindCode", f"No entitlement kind has the code {g.kind_code}.")
                   for i, g in enumerate(cmd.grants) if g.kind_code.strip().upper() not in by_code]
        if unknown:
            raise BadUserInput("The tier's entitlements are invalid.", unknown)
        grants = validate_grants([Grant(cmd.tier_id, by_code[g.kind_code.strip().upper()].id, g.quota, g.period,
                                        g.discount_pct, tuple(c.strip() for c in g.categories))
                                  for g in cmd.grants])
        await uow.entitlements.replace_grants(cmd.tier_id, grants)
        await uow.audit.record(Role.STAFF, staff_id, "tier.entitlements_set", f"tier:{cmd.tier_id}", {
            "grants": [{"kind": k.code, "quota": g.quota, "period": g.period.value if g.period else None,
                        "discountPct": g.discount_pct, "categories": list(g.categories)}
                       for g in grants for k in [next(k for k in by_code.values() if k.id == g.kind_id)]]}, now)
        await uow.commit()
    return grants


async def list_kinds(deps: Deps) -> list[EntitlementKind]:
    async with deps.uow.read_only() as uow:
        return await uow.entitlements.kinds()


async def list_grants(tier_id: int | None, deps: Deps) -> list[Grant]:
    async with deps.uow.read_only() as uow:
        return await uow.entitlements.grants([tier_id] if tier_id is not None else None)


# --- members -------------------------------------------------------------------------------------

def _tier_of(tiers: list[Tier], tier_id: int | None) -> Tier | None:
    found = next((t for t in tiers if t.id == tier_id), None) if tier_id is not None else None
    ordered = ladder(tiers)
    return found or (ordered[0] if ordered else None)


async def _statuses(uow: UnitOfWork, member_id: int, grants: list[Grant], kinds: dict[int, EntitlementKind],
                    deps: Deps) -> list[EntitlementStatus]:
    now = deps.clock.now()
    bounds = {g.kind_id: period_bounds(g.period, now, deps.clock.zone) for g in grants if g.period is not None}
    used = await uow.entitlements.used_since(member_id, {k: b[0] for k, b in bounds.items()}) if bounds else {}
    out = []
    for g in grants:
        kind = kinds.get(g.kind_id)
        if kind is None or not kind.active:
            continue
        start, end = bounds.get(g.kind_id, (None, None))
        out.append(EntitlementStatus(kind, g, used.get(g.kind_id, 0) if g.period else 0, start, end))
    return sorted(out, key=lambda s: s.kind.code)


@dataclass(frozen=True)
class MemberEntitlements:
    current: list[EntitlementStatus]
    next_tier: Tier | None
    next_tier_adds: list[Grant]
    kinds: dict[int, EntitlementKind]


async def member_entitlements(member_id: int, deps: Deps) -> MemberEntitlements:
    """What the member's tier grants, used and left this period, and what the next tier adds."""
    deps.viewer.require_self_or_staff(member_id)
    async with deps.uow.read_only() as uow:
        tiers = await uow.tiers.tiers()
        state = await uow.tiers.member_tier(member_id)
        current = _tier_of(tiers, state.tier_id if state else None)
        if current is None:
            return MemberEntitlements([], None, [], {})
        upcoming = next_tier(tiers, current)
        kinds = {k.id: k for k in await uow.entitlements.kinds()}
        grants = await uow.entitlements.grants([current.id] + ([upcoming.id] if upcoming else []))
        held = [g for g in grants if g.tier_id == current.id]
        statuses = await _statuses(uow, member_id, held, kinds, deps)
    adds = next_tier_adds(held, [g for g in grants if upcoming and g.tier_id == upcoming.id]) if upcoming else []
    adds = [g for g in adds if kinds.get(g.kind_id) is not None and kinds[g.kind_id].active]
    return MemberEntitlements(statuses, upcoming, adds, kinds)


async def _grant_for(uow: UnitOfWork, member_id: int, kind_id: int) -> tuple[Tier | None, Grant | None]:
    """The member's tier now and what it grants of the kind (None: not part of the tier)."""
    state = await uow.tiers.member_tier(member_id)
    tier = _tier_of(await uow.tiers.tiers(), state.tier_id if state else None)
    if tier is None:
        return None, None
    return tier, next((g for g in await uow.entitlements.grants([tier.id]) if g.kind_id == kind_id), None)


@dataclass(frozen=True)
class UseEntitlement:
    member: MemberRef
    kind_code: str
    quantity: int
    store_id: str
    idempotency_key: str


@dataclass(frozen=True)
class UseResult:
    use: EntitlementUse
    status: EntitlementStatus


def _check_use(cmd: UseEntitlement) -> None:
    errors = []
    if not 1 <= cmd.quantity <= MAX_USE_QUANTITY:
        errors.append(FieldError("quantity", f"Use 1 to {MAX_USE_QUANTITY} at a time."))
    if not STORE_ID.fullmatch(cmd.store_id or ""):
        errors.append(FieldError("storeId", "A store id is 1-64 letters, digits or . _ : -."))
    if errors:
        raise BadUserInput("The use is invalid.", errors)
    check_key(cmd.idempotency_key)


async def use_entitlement(cmd: UseEntitlement, deps: Deps) -> UseResult:
    """Staff/POS record a use at a store. Uses of one member's kind are serialised on a lock held
    to the commit, and the quota is checked against the committed uses of the period after taking
    it, so N concurrent uses never exceed the quota. A retry with the same key replays the first
    result (also after the quota ran out); the same key with another request is IDEMPOTENCY_CONFLICT."""
    staff_id = deps.viewer.require_staff()
    _check_use(cmd)
    deps.viewer.require_store(cmd.store_id)  # a clerk grants perks only at the stores assigned to them
    uow, now = deps.uow, deps.clock.now()
    code = cmd.kind_code.strip().upper()
    async with uow:
        member = await resolve(uow, cmd.member)
        kind = await uow.entitlements.kind_by_code(code)
        if kind is None or not kind.active:
            raise BadUserInput.for_field("kindCode", f"No entitlement kind has the code {code}.")
        request = {"kind": code, "quantity": cmd.quantity, "store": cmd.store_id}
        async with idempotent(uow, f"entitlement:{member.id}", cmd.idempotency_key, request, now) as slot:
            if slot.replay is not None:
                replayed = await uow.entitlements.use(int(str(slot.replay["use"])))
                assert replayed is not None
                _tier, held = await _grant_for(uow, member.id, kind.id)
                grant = held or Grant(replayed.tier_id, kind.id, None, None)
                return UseResult(replayed, (await _statuses(uow, member.id, [grant], {kind.id: kind}, deps))[0])
            await uow.lock(f"entitlement:{member.id}:{kind.id}")
            tier, held = await _grant_for(uow, member.id, kind.id)
            if held is not None and held.is_member_price:
                raise BadUserInput.for_field("kindCode", "A member price applies through the price quote, "
                                                         "not as a use.")
            if tier is None or held is None:
                raise NotEligible(f"The member's tier does not include {kind.name_en}.",
                                  key="entitlement_not_in_tier", kind=kind.name_zh)
            grant = held
            status = (await _statuses(uow, member.id, [grant], {kind.id: kind}, deps))[0]
            if status.remaining is not None and cmd.quantity > status.remaining:
                raise LimitExceeded(
                    f"Only {status.remaining} {kind.unit_en} of {kind.name_en} left this period.",
                    key="entitlement_quota", remaining=status.remaining, kind=kind.name_zh,
                    resetsAt=status.resets_at.isoformat() if status.resets_at else None)
            use = await uow.entitlements.add_use(member.id, kind.id, tier.id, cmd.quantity, cmd.store_id,
                                                 staff_id, status.period_start, cmd.idempotency_key, now)
            await uow.audit.record(Role.STAFF, staff_id, "entitlement.used", f"member:{member.id}", {
                "kind": kind.code, "quantity": cmd.quantity, "storeId": cmd.store_id, "use": use.id}, now)
            slot.done({"use": use.id})
            await uow.commit()
    after = EntitlementStatus(kind, grant, status.used + cmd.quantity if grant.period else 0,
                              status.period_start, status.resets_at)
    return UseResult(use, after)


@dataclass(frozen=True)
class UsePage:
    uses: list[EntitlementUse]
    has_next: bool
    kinds: dict[int, EntitlementKind]


async def entitlement_uses(member_id: int, first: int, after: str | None, deps: Deps) -> UsePage:
    """The member's uses, newest first, keyset-paginated on (used_at, id)."""
    deps.viewer.require_self_or_staff(member_id)
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput.for_field("first", f"Ask for 1 to {MAX_PAGE} uses.")
    before = cursors.decode_time(after) if after else None
    async with deps.uow.read_only() as uow:
        rows = await uow.entitlements.uses(member_id, first + 1, before)
        kinds = {k.id: k for k in await uow.entitlements.kinds()}
    return UsePage(rows[:first], len(rows) > first, kinds)


def cursor_of(use: EntitlementUse) -> str:
    return cursors.encode(use.used_at, use.id)


async def visible_uses(use_ids: list[int], deps: Deps) -> tuple[dict[int, EntitlementUse], dict[int, EntitlementKind]]:
    """The caller's own uses among these ids (staff: all), in one query; others are absent."""
    async with deps.uow.read_only() as uow:
        found = await uow.entitlements.uses_by_ids(sorted(set(use_ids)))
        kinds = {k.id: k for k in await uow.entitlements.kinds()} if found else {}
    return {i: u for i, u in found.items() if reads_member(deps.viewer, u.member_id)}, kinds


async def use_for(use_id: int, deps: Deps) -> tuple[EntitlementUse, EntitlementKind]:
    """One use: its member or staff; anyone else learns nothing (NOT_FOUND)."""
    uses, kinds = await visible_uses([use_id], deps)
    if use_id not in uses:
        raise NotFound("No such entitlement use.")
    return uses[use_id], kinds[uses[use_id].kind_id]
