"""A configured program: the demo tier ladder (Gold ¥50,000 / Platinum ¥100,000 / Diamond ¥200,000)
and a base rate of 1 point per yuan, set up through the same staff use cases operators use."""

from __future__ import annotations

from api.container import Container
from domain.auth.viewer import Role, Viewer
from domain.points.rules import EarningRule, RuleKind
from domain.program.services import save_rule
from domain.tiers.model import Tier
from domain.tiers.services import save_tier

STAFF = Viewer(Role.STAFF, 1)

LADDER = [
    Tier(0, "BASE", "Member", 0, 0, 100, 0),
    Tier(0, "GOLD", "Gold", 1, 5_000_000, 125, 500, ["Free parking 2h"]),
    Tier(0, "PLATINUM", "Platinum", 2, 10_000_000, 150, 1_000, ["Free parking 4h", "VIP lane"]),
    Tier(0, "DIAMOND", "Diamond", 3, 20_000_000, 200, 2_000, ["Free parking all day", "Personal shopper"]),
]


async def configure_program(container: Container) -> dict[str, Tier]:
    saved = {}
    for tier in LADDER:
        saved[tier.code] = await save_tier(container.uow(), STAFF, tier)
    await save_rule(container.uow(), STAFF, EarningRule(0, RuleKind.BASE_RATE, "1 point per yuan",
                                                        points_per_100_cents=1), container.now())
    return saved
