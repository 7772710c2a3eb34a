"""Groups, posts, comments, likes and reports. Counters move in the same statement as the row
they count, so concurrent likes keep them exact."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.community.model import Comment, ContentStatus, FeedFilter, Group, Post
from domain.privacy.model import ERASED_TEXT, Erasure
from domain.store.dialect import insert_ignoring_conflict
from domain.store.tables import comments, group_members, groups, post_likes, posts, reports


def _group(row: Row) -> Group:
    return Group(row.id, row.name, row.description, row.min_tier_rank, row.active)


def _post(row: Row) -> Post:
    return Post(row.id, row.author_id, row.body, row.created_at, row.group_id, list(row.image_urls),
                row.linked_reward_id, row.like_count, row.comment_count, ContentStatus(row.status),
                row.moderation_reason)


def _comment(row: Row) -> Comment:
    return Comment(row.id, row.post_id, row.author_id, row.body, row.created_at, row.parent_id,
                   ContentStatus(row.status))


class SqlCommunityRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def save_group(self, group: Group, now: datetime) -> Group:
        values = dict(name=group.name, description=group.description, min_tier_rank=group.min_tier_rank,
                      active=group.active)
        statement = (update(groups).where(groups.c.id == group.id).values(**values) if group.id
                     else insert(groups).values(**values, created_at=now))
        return _group((await self._conn.execute(statement.returning(*groups.c))).one())

    async def group(self, group_id: int) -> Group | None:
        row = (await self._conn.execute(select(groups).where(groups.c.id == group_id))).first()
        return _group(row) if row else None

    async def groups(self) -> list[Group]:
        return [_group(r) for r in await self._conn.execute(
            select(groups).where(groups.c.active.is_(True)).order_by(groups.c.id))]

    async def groups_by_ids(self, ids: list[int]) -> dict[int, Group]:
        if not ids:
            return {}
        return {r.id: _group(r) for r in await self._conn.execute(select(groups).where(groups.c.id.in_(ids)))}

    async def join(self, group_id: int, member_id: int, now: datetime) -> bool:
        result = await self._conn.execute(insert_ignoring_conflict(self._conn, group_members, ["group_id", "member_id"])
                                          .values(group_id=group_id, member_id=member_id, joined_at=now))
        return result.rowcount == 1

    async def leave(self, group_id: int, member_id: int) -> bool:
        result = await self._conn.execute(delete(group_members).where(
            group_members.c.group_id == group_id, group_members.c.member_id == member_id))
        return result.rowcount == 1

    async def add_post(self, post: Post) -> Post:
        row = (await self._conn.execute(insert(posts).values(
            author_id=post.author_id, group_id=post.group_id, body=post.body, image_urls=list(post.image_urls),
            linked_reward_id=post.linked_reward_id, status=ContentStatus.VISIBLE.value, created_at=post.created_at,
        ).returning(*posts.c))).one()
        return _post(row)

    async def post(self, post_id: int, for_update: bool = False) -> Post | None:
        query = select(posts).where(posts.c.id == post_id)
        row = (await self._conn.execute(query.with_for_update() if for_update else query)).first()
        return _post(row) if row else None

    async def posts_by_ids(self, post_ids: list[int]) -> dict[int, Post]:
        if not post_ids:
            return {}
        return {r.id: _post(r) for r in await self._conn.execute(select(posts).where(posts.c.id.in_(post_ids)))}

    async def set_post_status(self, post_id: int, status: ContentStatus, reason: str | None) -> None:
        await self._conn.execute(update(posts).where(posts.c.id == post_id)
                                 .values(status=status.value, moderation_reason=reason))

    async def feed(self, flt: FeedFilter, before: tuple[datetime, int] | None, limit: int) -> list[Post]:
        query = select(posts).where(posts.c.status == ContentStatus.VISIBLE.value)
        if flt.group_id is not None:
            query = query.where(posts.c.group_id == flt.group_id)
        if flt.author_id is not None:
            query = query.where(posts.c.author_id == flt.author_id)
        if flt.following_member_id is not None:
            query = query.where(posts.c.group_id.in_(
                select(group_members.c.group_id).where(group_members.c.member_id == flt.following_member_id)))
        if flt.max_group_rank is not None:
            query = query.where(or_(posts.c.group_id.is_(None), posts.c.group_id.in_(
                select(groups.c.id).where(groups.c.min_tier_rank <= flt.max_group_rank))))
        if before is not None:
            query = query.where(tuple_(posts.c.created_at, posts.c.id) < tuple_(*before))
        rows = await self._conn.execute(query.order_by(posts.c.created_at.desc(), posts.c.id.desc()).limit(limit))
        return [_post(r) for r in rows]

    async def add_comment(self, comment: Comment) -> Comment:
        row = (await self._conn.execute(insert(comments).values(
            post_id=comment.post_id, author_id=comment.author_id, parent_id=comment.parent_id, body=comment.body,
            status=ContentStatus.VISIBLE.value, created_at=comment.created_at,
        ).returning(*comments.c))).one()
        await self._conn.execute(update(posts).where(posts.c.id == comment.post_id)
                                 .values(comment_count=posts.c.comment_count + 1))
        return _comment(row)

    async def comment(self, comment_id: int) -> Comment | None:
        row = (await self._conn.execute(select(comments).where(comments.c.id == comment_id))).first()
        return _comment(row) if row else None

    async def comments(self, post_ids: list[int], limit_each: int) -> dict[int, list[Comment]]:
        found: dict[int, list[Comment]] = {pid: [] for pid in post_ids}
        if not post_ids:
            return found
        ranked = select(comments, func.row_number().over(partition_by=comments.c.post_id,
                                                         order_by=comments.c.id).label("n")).where(
            comments.c.post_id.in_(post_ids), comments.c.status == ContentStatus.VISIBLE.value).subquery()
        for row in await self._conn.execute(select(ranked).where(ranked.c.n <= limit_each).order_by(ranked.c.id)):
            found[row.post_id].append(_comment(row))
        return found

    async def comments_after(self, post_id: int, after_id: int, limit: int) -> list[Comment]:
        """Visible comments of one post, oldest first, keyset on id."""
        rows = await self._conn.execute(
            select(comments).where(comments.c.post_id == post_id, comments.c.status == ContentStatus.VISIBLE.value,
                                   comments.c.id > after_id).order_by(comments.c.id).limit(limit))
        return [_comment(r) for r in rows]

    async def count_comments(self, post_ids: list[int]) -> dict[int, int]:
        if not post_ids:
            return {}
        rows = await self._conn.execute(
            select(comments.c.post_id, func.count()).where(comments.c.post_id.in_(post_ids),
                                                           comments.c.status == ContentStatus.VISIBLE.value)
            .group_by(comments.c.post_id))
        return {int(p): int(n) for p, n in rows}

    async def like(self, post_id: int, member_id: int, now: datetime) -> bool:
        result = await self._conn.execute(insert_ignoring_conflict(self._conn, post_likes, ["post_id", "member_id"])
                                          .values(post_id=post_id, member_id=member_id, created_at=now))
        if result.rowcount != 1:
            return False
        await self._conn.execute(update(posts).where(posts.c.id == post_id).values(like_count=posts.c.like_count + 1))
        return True

    async def unlike(self, post_id: int, member_id: int) -> bool:
        result = await self._conn.execute(delete(post_likes).where(
            post_likes.c.post_id == post_id, post_likes.c.member_id == member_id))
        if result.rowcount != 1:
            return False
        await self._conn.execute(update(posts).where(posts.c.id == post_id).values(like_count=posts.c.like_count - 1))
        return True

    async def liked(self, member_id: int, post_ids: list[int]) -> set[int]:
        if not post_ids:
            return set()
        rows = await self._conn.scalars(select(post_likes.c.post_id).where(
            post_likes.c.member_id == member_id, post_likes.c.post_id.in_(post_ids)))
        return set(rows)

    async def report(self, target: str, target_id: int, reporter_id: int, reason: str, now: datetime) -> bool:
        result = await self._conn.execute(insert_ignoring_conflict(
            self._conn, reports, ["target", "target_id", "reporter_id"]).values(
            target=target, target_id=target_id, reporter_id=reporter_id, reason=reason, created_at=now))
        return result.rowcount == 1

    async def erase_member(self, erasure: Erasure) -> None:
        """Bodies may name people or places, so they are replaced, not kept. Posts leave the feed;
        comments stay in their threads (replies by others keep their context) shown as "[erased]"."""
        await self._conn.execute(update(posts).where(posts.c.author_id == erasure.member_id).values(
            body=ERASED_TEXT, image_urls=[], moderation_reason=None))
        await self._conn.execute(update(posts).where(
            posts.c.author_id == erasure.member_id, posts.c.status == ContentStatus.VISIBLE.value,
        ).values(status=ContentStatus.DELETED.value))
        await self._conn.execute(update(comments).where(comments.c.author_id == erasure.member_id)
                                 .values(body=ERASED_TEXT))
        await self._conn.execute(update(reports).where(reports.c.reporter_id == erasure.member_id)
                                 .values(reason=ERASED_TEXT))
