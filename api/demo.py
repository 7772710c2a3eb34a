"""Demo data for a fresh install: a few members with profiles and identities, and one operator."""

from __future__ import annotations

import contextlib
from datetime import date

from api.container import Container
from api.progress import ProgressBar
from domain.auth.login import new_member_code
from domain.auth.staff import create_staff
from domain.errors import Conflict
from domain.members.model import Channel, Gender

DEMO_STAFF = ("demo-operator", "demo-operator-password")
DEMO_MEMBERS = [
    ("+8613800138000", "Lin Wei", date(1990, 5, 17), Gender.FEMALE, ["coffee", "fashion"], "wx-openid-linwei"),
    ("+8613900139000", "Zhang Min", date(1985, 11, 2), Gender.MALE, ["electronics"], "wx-openid-zhangmin"),
    ("+8613700137000", "Chen Jing", date(1995, 1, 23), Gender.FEMALE, ["beauty", "dining"], None),
]


async def seed_demo(container: Container, extra_members: int = 0) -> None:
    """Idempotent: members are matched by phone, the operator by username."""
    now = container.now()
    bar = ProgressBar(len(DEMO_MEMBERS) + extra_members, "seeding members")
    async with container.uow() as uow:
        for phone, name, birthday, gender, tags, openid in DEMO_MEMBERS:
            member, created = await uow.members.get_or_create(phone, new_member_code(), now)
            if created:
                member.display_name, member.birthday, member.birthday_locked = name, birthday, True
                member.gender, member.tags = gender, tags
                member.marketing_consent, member.marketing_consent_at = True, now
                await uow.members.save_profile(member)
                if openid:
                    await uow.members.claim_identity(member.id, Channel.MINI_PROGRAM, openid, now)
                await uow.members.claim_identity(member.id, Channel.POS_CARD, f"CARD{member.id:08d}", now)
            bar.advance()
        for i in range(extra_members):
            await uow.members.get_or_create(f"+86166{i:08d}", new_member_code(), now)
            bar.advance()
        await uow.commit()
    with contextlib.suppress(Conflict):
        await create_staff(container.uow(), DEMO_STAFF[0], DEMO_STAFF[1], "Demo Operator", now)


