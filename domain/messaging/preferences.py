"""Which channels a member takes marketing messages on (transactional messages ignore this)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.auth.viewer import Role
from domain.deps import Deps
from domain.messaging.model import MessageChannel


@dataclass(frozen=True)
class ChannelPreference:
    channel: MessageChannel
    enabled: bool


async def channel_preferences(member_id: int, deps: Deps) -> list[ChannelPreference]:
    deps.viewer.require_self_or_staff(member_id)
    async with deps.uow.read_only() as uow:
        disabled = await uow.messaging.disabled_channels(member_id)
    return [ChannelPreference(c, c not in disabled) for c in MessageChannel]


@dataclass(frozen=True)
class SetChannels:
    """Channels to switch on or off; channels not named keep their setting."""

    changes: list[ChannelPreference]


async def set_message_channels(cmd: SetChannels, deps: Deps) -> list[ChannelPreference]:
    member_id = deps.viewer.require_member()
    now = deps.clock.now()
    async with deps.uow as uow:
        for change in {c.channel: c for c in cmd.changes}.values():
            await uow.messaging.set_channel(member_id, change.channel, change.enabled, now)
        await uow.audit.record(Role.MEMBER, member_id, "messages.channels-set", f"member:{member_id}",
                               {c.channel.value: c.enabled for c in cmd.changes}, now)
        disabled = await uow.messaging.disabled_channels(member_id)
        await uow.commit()
    return [ChannelPreference(c, c not in disabled) for c in MessageChannel]
