"""Member aggregate storage: the member row and its channel identities."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Row, and_, delete, extract, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.members.model import Channel, ChannelIdentity, Gender, Member
from domain.privacy.model import Erasure
from domain.store.dialect import insert_ignoring_conflict
from domain.store.tables import member_identities, members


def _member(row: Row) -> Member:
    return Member(
        id=row.id,
        phone=row.phone,
        member_code=row.member_code,
        joined_at=row.joined_at,
        display_name=row.display_name,
        avatar_url=row.avatar_url,
        birthday=row.birthday,
        birthday_locked=row.birthday_locked,
        gender=Gender(row.gender),
        tags=list(row.tags or []),
        marketing_consent=row.marketing_consent,
        marketing_consent_at=row.marketing_consent_at,
        version=row.version,
        leaderboard_opt_out=row.leaderboard_opt_out,
    )


class SqlMemberRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        # Members whose profile version this transaction moved: the unit of work writes their cached
        # profiles through after the commit.
        self.moved: set[int] = set()
        self._referrers: dict[int, int | None] = {}

    async def get(self, member_id: int, for_update: bool = False) -> Member | None:
        query = select(members).where(members.c.id == member_id)
        if for_update:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return self._noted(row)

    async def get_by_phone(self, phone: str) -> Member | None:
        row = (await self._conn.execute(select(members).where(members.c.phone == phone))).first()
        return self._noted(row)

    def _noted(self, row: Row | None) -> Member | None:
        """The member of a full row, remembering its referrer: a purchase asks for it right after
        resolving the member, and the row already holds it (one statement fewer per earn)."""
        if row is None:
            return None
        self._referrers[row.id] = row.referrer_id
        return _member(row)

    async def get_many(self, member_ids: Sequence[int]) -> dict[int, Member]:
        if not member_ids:
            return {}
        rows = await self._conn.execute(select(members).where(members.c.id.in_(list(member_ids))))
        return {r.id: _member(r) for r in rows}

    async def set_referrer(self, member_id: int, referrer_id: int) -> None:
        self._referrers.pop(member_id, None)
        await self._conn.execute(update(members).where(members.c.id == member_id, members.c.referrer_id.is_(None))
                                 .values(referrer_id=referrer_id))

    async def referrer_of(self, member_id: int) -> int | None:
        if member_id in self._referrers:
            return self._referrers[member_id]
        return await self._conn.scalar(select(members.c.referrer_id).where(members.c.id == member_id))

    async def invitees_count(self, member_id: int) -> int:
        return int(await self._conn.scalar(select(func.count()).select_from(members)
                                           .where(members.c.referrer_id == member_id)))

    async def get_by_code(self, member_code: str) -> Member | None:
        row = (await self._conn.execute(select(members).where(members.c.member_code == member_code))).first()
        return self._noted(row)

    async def names(self, member_ids: Sequence[int]) -> dict[int, tuple[str | None, bool]]:
        if not member_ids:
            return {}
        rows = await self._conn.execute(
            select(members.c.id, members.c.display_name, members.c.leaderboard_opt_out)
            .where(members.c.id.in_(list(member_ids)))
        )
        return {r.id: (r.display_name, r.leaderboard_opt_out) for r in rows}

    async def get_or_create(self, phone: str, member_code: str, now: datetime) -> tuple[Member, bool]:
        # Two first sign-ins racing on one phone must end with one member, not an error.
        # A member code collision (1 in 10^12) makes the insert skip; try a fresh code.
        created = False
        for attempt in range(3):
            code = member_code if attempt == 0 else secrets.token_hex(4).upper()
            inserted = await self._conn.execute(
                insert_ignoring_conflict(self._conn, members, None).values(
                    phone=phone, member_code=code, tags=[], joined_at=now
                ).returning(members.c.id)
            )
            created = inserted.first() is not None
            if created or await self.get_by_phone(phone) is not None:
                break
        member = await self.get_by_phone(phone)
        assert member is not None
        return member, created

    async def save_profile(self, member: Member) -> Member:
        self.moved.add(member.id)
        result = await self._conn.execute(
            update(members)
            .where(members.c.id == member.id)
            .values(
                display_name=member.display_name,
                avatar_url=member.avatar_url,
                birthday=member.birthday,
                birthday_locked=member.birthday_locked,
                gender=member.gender.value,
                tags=member.tags,
                marketing_consent=member.marketing_consent,
                marketing_consent_at=member.marketing_consent_at,
                leaderboard_opt_out=member.leaderboard_opt_out,
                version=members.c.version + 1,
            )
            .returning(*members.c)
        )
        return _member(result.one())

    async def set_birthday(self, member_id: int, birthday: date) -> Member:
        self.moved.add(member_id)
        result = await self._conn.execute(
            update(members)
            .where(members.c.id == member_id)
            .values(birthday=birthday, birthday_locked=True, version=members.c.version + 1)
            .returning(*members.c)
        )
        return _member(result.one())

    async def with_birthday_in_month(self, month: int, after_member_id: int, limit: int) -> list[int]:
        rows = await self._conn.scalars(
            select(members.c.id)
            .where(extract("month", members.c.birthday) == month, members.c.id > after_member_id)
            .order_by(members.c.id).limit(limit)
        )
        return [int(r) for r in rows]

    async def identities_for(self, member_ids: Sequence[int]) -> dict[int, list[ChannelIdentity]]:
        found: dict[int, list[ChannelIdentity]] = {mid: [] for mid in member_ids}
        if not member_ids:
            return found
        rows = await self._conn.execute(
            select(member_identities)
            .where(member_identities.c.member_id.in_(list(member_ids)))
            .order_by(member_identities.c.linked_at, member_identities.c.id)
        )
        for row in rows:
            found[row.member_id].append(ChannelIdentity(Channel(row.channel), row.external_id, row.linked_at))
        return found

    async def claim_identity(self, member_id: int, channel: Channel, external_id: str, now: datetime) -> int:
        """Link the identity unless someone holds it; returns whoever owns it afterwards."""
        for _ in range(3):  # the holder may unlink between our insert and our look-up
            await self._conn.execute(
                insert_ignoring_conflict(self._conn, member_identities, ["channel", "external_id"]).values(
                    member_id=member_id, channel=channel.value, external_id=external_id, linked_at=now
                )
            )
            owner = await self._conn.scalar(
                select(member_identities.c.member_id).where(
                    and_(member_identities.c.channel == channel.value,
                         member_identities.c.external_id == external_id)
                )
            )
            if owner is not None:
                return int(owner)
        raise RuntimeError("identity claim did not settle")

    async def release_identity(self, member_id: int, channel: Channel, external_id: str) -> bool:
        result = await self._conn.execute(
            delete(member_identities).where(
                member_identities.c.member_id == member_id,
                member_identities.c.channel == channel.value,
                member_identities.c.external_id == external_id,
            )
        )
        return result.rowcount == 1

    async def find_by_identity(self, channel: Channel, external_id: str) -> Member | None:
        row = (
            await self._conn.execute(
                select(members)
                .join(member_identities, member_identities.c.member_id == members.c.id)
                .where(member_identities.c.channel == channel.value,
                       member_identities.c.external_id == external_id)
            )
        ).first()
        return _member(row) if row else None

    async def erase_member(self, erasure: Erasure) -> None:
        """The row stays (the ledger and purchases point at it) with every personal field emptied."""
        self.moved.add(erasure.member_id)
        await self._conn.execute(delete(member_identities).where(member_identities.c.member_id == erasure.member_id))
        await self._conn.execute(
            update(members).where(members.c.id == erasure.member_id).values(
                phone=erasure.tombstone, member_code=erasure.new_member_code, display_name=None, avatar_url=None,
                birthday=None, birthday_locked=False, gender=Gender.UNSPECIFIED.value, tags=[],
                marketing_consent=False, marketing_consent_at=erasure.now, leaderboard_opt_out=True,
                version=members.c.version + 1,
            )
        )
