"""DataLoaders, created per request so nothing is cached across requests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from domain.benefits.model import Reward
from domain.benefits.services import rewards_by_id
from domain.members.model import ChannelIdentity
from domain.members.services import identities_of
from domain.ports import UnitOfWork


@dataclass
class Loaders:
    identities_by_member: DataLoader[int, list[ChannelIdentity]]
    reward_by_id: DataLoader[int, Reward | None]

    @classmethod
    def for_request(cls, new_uow: Callable[[], UnitOfWork], cache: bool = True) -> Loaders:
        """cache=False for websocket connections, which outlive any single read."""
        async def identities(member_ids: Sequence[int]) -> list[list[ChannelIdentity]]:
            found = await identities_of(new_uow(), list(member_ids))
            return [found[mid] for mid in member_ids]

        async def rewards(reward_ids: Sequence[int]) -> list[Reward | None]:
            found = await rewards_by_id(new_uow(), list(reward_ids))
            return [found.get(rid) for rid in reward_ids]

        return cls(identities_by_member=DataLoader(load_fn=identities, cache=cache),
                   reward_by_id=DataLoader(load_fn=rewards, cache=cache))
