"""Use cases called as `(command, deps)` without HTTP or a database: the rules they decide before
any storage is touched, the program clock they read, and the one current-tier rank they compare."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.auth.viewer import Role, Viewer
from domain.benefits.ports import RewardSort
from domain.benefits.services import BrowseRewards, browse_rewards, member_tier_rank
from domain.clock import Clock
from domain.deps import Deps
from domain.errors import BadUserInput, Forbidden, NotFound
from domain.offers.services import IssueToSegment, Segment, issue_to_segment
from domain.points.balance import BalanceRead
from domain.points.queries import HistoryQuery, balance_for, history
from domain.tiers.model import MemberTier, Tier

SHANGHAI = ZoneInfo("Asia/Shanghai")
MOMENT = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # 01:30 on 2 March in Shanghai


class NoStorage:
    """Stands for the unit of work and the cache: any use of it fails the test, which proves the
    rule under test was decided before a transaction was opened."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"storage touched: {name}")


def deps_for(viewer: Viewer) -> Deps:
    return Deps(NoStorage(), NoStorage(), Clock(SHANGHAI, lambda: MOMENT), viewer)  # type: ignore[arg-type]


ALICE = Viewer(Role.MEMBER, 1)
STAFF = Viewer(Role.STAFF, 9)


def test_the_program_day_is_the_local_day_not_the_utc_one() -> None:
    clock = Clock(SHANGHAI, lambda: MOMENT)
    assert clock.today() == date(2026, 3, 2)
    start, end = clock.day_bounds()
    assert (start, end) == (datetime(2026, 3, 1, 16, tzinfo=UTC), datetime(2026, 3, 2, 16, tzinfo=UTC))


@pytest.mark.parametrize("first", [0, 101])
async def test_browsing_rewards_refuses_a_page_size_out_of_range(first: int) -> None:
    cmd = BrowseRewards(category=None, affordable_now=False, tier_code=None, sort=RewardSort.PRICE_ASC,
                        first=first, after=None, available_points=None)
    with pytest.raises(BadUserInput):
        await browse_rewards(cmd, deps_for(ALICE))


async def test_history_refuses_paging_both_ways_at_once() -> None:
    with pytest.raises(BadUserInput):
        await history(HistoryQuery(1, first=10, last=10, before="x"), deps_for(ALICE))


async def test_another_members_balance_and_history_are_refused() -> None:
    with pytest.raises((Forbidden, NotFound)):
        await balance_for(BalanceRead(2), deps_for(ALICE))
    with pytest.raises((Forbidden, NotFound)):
        await history(HistoryQuery(2, first=10), deps_for(ALICE))


async def test_a_balance_window_must_be_1_to_365_days() -> None:
    with pytest.raises(BadUserInput):
        await balance_for(BalanceRead(1, soon_days=366), deps_for(ALICE))


async def test_sending_coupons_is_for_staff_and_needs_one_kind_of_audience() -> None:
    with pytest.raises(Forbidden):
        await issue_to_segment(IssueToSegment(1, Segment(member_ids=[1]), "k"), deps_for(ALICE))
    with pytest.raises(BadUserInput):
        await issue_to_segment(IssueToSegment(1, Segment(), "k"), deps_for(STAFF))
    with pytest.raises(BadUserInput):
        await issue_to_segment(IssueToSegment(1, Segment(member_ids=[1], tags=["vip"]), "k"), deps_for(STAFF))


BASE = Tier(id=1, code="BASE", name="Member", rank=0, threshold_cents=0)
GOLD = Tier(id=3, code="GOLD", name="Gold", rank=2, threshold_cents=500_000)
RETIRED = Tier(id=4, code="OLD", name="Old", rank=3, threshold_cents=3_000_000, active=False)


class Tiers:
    """The part of the tier repository the rank reads, over an in-memory ladder and tier rows."""

    def __init__(self, rows: dict[int, int]) -> None:
        self._rows = rows

    async def tiers(self) -> list[Tier]:
        return [GOLD, RETIRED, BASE]

    async def member_tier(self, member_id: int) -> MemberTier | None:
        tier_id = self._rows.get(member_id)
        return MemberTier(member_id, tier_id, MOMENT, None) if tier_id is not None else None

    async def current_tier(self, member_id: int) -> Tier | None:
        state = await self.member_tier(member_id)
        return next((t for t in await self.tiers() if state and t.id == state.tier_id), None)


class TierOnly:
    def __init__(self, rows: dict[int, int]) -> None:
        self.tiers = Tiers(rows)


@pytest.mark.parametrize(("member_id", "rank"), [(1, 2), (2, 0), (3, 0)])
async def test_the_rank_that_tier_limits_compare_with(member_id: int, rank: int) -> None:
    # 1 holds Gold; 2 holds a tier since retired (counts as no tier); 3 has no tier row yet.
    uow = TierOnly({1: GOLD.id, 2: RETIRED.id})
    assert await member_tier_rank(uow, member_id) == rank  # type: ignore[arg-type]
