"""Rewards for catalog tests, created through the staff use case."""

from __future__ import annotations

from api.container import Container
from domain.benefits.model import LimitPeriod, Reward, RewardKind
from domain.benefits.services import save_reward
from tests.support.program import STAFF


async def add_reward(container: Container, name: str = "Coffee voucher", price: int = 100, stock: int | None = 10,
                     **extra: object) -> Reward:
    reward = Reward(0, name, extra.pop("category", "dining"), RewardKind.COUPON, price, stock,  # type: ignore[arg-type]
                    extra.pop("per_member_limit", None), extra.pop("limit_period", LimitPeriod.EVER),  # type: ignore[arg-type]
                    **extra)  # type: ignore[arg-type]
    return await save_reward(container.uow(), STAFF, reward, container.now())
