"""Community use cases: groups, posting, commenting, liking, reporting and moderation."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from domain.auth.viewer import Role, Viewer
from domain.benefits.services import member_tier_rank
from domain.community.model import Comment, ContentStatus, FeedFilter, Group, Post
from domain.community.rules import COMMENT_MAX, POST_MAX, check_banned, check_images, clean_text
from domain.deps import Deps
from domain.errors import BadUserInput, Forbidden, NotFound
from domain.events import ContentReported
from domain.points.activities import ActivityAward, award_activity
from domain.points.rules import Activity
from domain.ports import UnitOfWork

REPORT_TARGETS = ("post", "comment")


async def _banned(uow: UnitOfWork) -> list[str]:
    words = (await uow.rules.settings()).get("banned_words") or []
    return [str(w) for w in words] if isinstance(words, list) else []


async def save_group(uow: UnitOfWork, viewer: Viewer, group: Group, now: datetime) -> Group:
    staff_id = viewer.require_staff()
    name = clean_text(group.name, "name", 40)
    if group.min_tier_rank < 0 or len(group.description) > 500:
        raise BadUserInput("The group is invalid.")
    async with uow:
        if group.id and await uow.community.group(group.id) is None:
            raise NotFound("No such group.")
        saved = await uow.community.save_group(replace(group, name=name), now)
        await uow.audit.record(Role.STAFF, staff_id, "group.saved", f"group:{saved.id}", {"name": name}, now)
        await uow.commit()
    return saved


async def join_group(uow: UnitOfWork, viewer: Viewer, group_id: int, now: datetime) -> Group:
    member_id = viewer.require_member()
    async with uow:
        group = await uow.community.group(group_id)
        if group is None or not group.active:
            raise NotFound("No such group.")
        if await member_tier_rank(uow, member_id) < group.min_tier_rank:
            raise Forbidden("This group is for members of a higher tier.")
        await uow.community.join(group_id, member_id, now)
        await uow.commit()
    return group


async def leave_group(uow: UnitOfWork, viewer: Viewer, group_id: int) -> None:
    member_id = viewer.require_member()
    async with uow:
        if not await uow.community.leave(group_id, member_id):
            raise NotFound("You are not in that group.")
        await uow.commit()


@dataclass(frozen=True)
class CreatePost:
    body: str
    image_urls: list[str]
    group_id: int | None = None
    linked_reward_id: int | None = None


async def create_post(cmd: CreatePost, deps: Deps) -> Post:
    uow, now = deps.uow, deps.clock.now()
    group_id, linked_reward_id = cmd.group_id, cmd.linked_reward_id
    member_id = deps.viewer.require_member()
    text = clean_text(cmd.body, "body", POST_MAX)
    images = check_images(cmd.image_urls)
    async with uow:
        check_banned(text, await _banned(uow))
        if group_id is not None:
            group = await uow.community.group(group_id)
            if group is None or not group.active:
                raise NotFound("No such group.")
            if await member_tier_rank(uow, member_id) < group.min_tier_rank:
                raise Forbidden("This group is for members of a higher tier.")
        if linked_reward_id is not None and await uow.rewards.get(linked_reward_id) is None:
            raise NotFound("No such reward to link.")
        post = await uow.community.add_post(Post(0, member_id, text, now, group_id, images, linked_reward_id))
        # The first post of the day earns points (through the rules and their daily cap).
        today = deps.clock.today().isoformat()
        await award_activity(uow, deps.clock, ActivityAward(
            member_id, Activity.COMMUNITY_POST, f"post:{post.id}", f"post/{member_id}/{today}"))
        await uow.commit()
    return post


async def _visible_post(uow: UnitOfWork, post_id: int, member_id: int, for_update: bool = False) -> Post:
    """A visible post the member may see: posts of a group above their tier do not exist for them
    (the same answer as an unknown id, so ids cannot be probed either)."""
    post = await uow.community.post(post_id, for_update)
    if post is None or post.status is not ContentStatus.VISIBLE or not await _may_see_group(uow, post.group_id,
                                                                                            member_id):
        raise NotFound("No such post.")
    return post


async def _may_see_group(uow: UnitOfWork, group_id: int | None, member_id: int) -> bool:
    if group_id is None:
        return True
    group = await uow.community.group(group_id)
    return group is None or group.min_tier_rank <= 0 or await member_tier_rank(uow, member_id) >= group.min_tier_rank


@dataclass(frozen=True)
class AddComment:
    post_id: int
    body: str
    parent_id: int | None = None


async def comment(cmd: AddComment, deps: Deps) -> Comment:
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    post_id, body, parent_id = cmd.post_id, cmd.body, cmd.parent_id
    member_id = viewer.require_member()
    text = clean_text(body, "body", COMMENT_MAX)
    async with uow:
        check_banned(text, await _banned(uow))
        await _visible_post(uow, post_id, member_id)
        if parent_id is not None:
            parent = await uow.community.comment(parent_id)
            if parent is None or parent.post_id != post_id or parent.status is not ContentStatus.VISIBLE:
                raise NotFound("No such comment to reply to.")
            if parent.parent_id is not None:
                raise BadUserInput.for_field("parentId", "Replies go one level deep; reply to the comment above.")
        saved = await uow.community.add_comment(Comment(0, post_id, member_id, text, now, parent_id))
        await uow.commit()
    return saved


async def like(post_id: int, deps: Deps) -> Post:
    """Liking twice is one like. The author earns points for the first like from each member."""
    uow, now = deps.uow, deps.clock.now()
    member_id = deps.viewer.require_member()
    async with uow:
        post = await _visible_post(uow, post_id, member_id)
        if await uow.community.like(post_id, member_id, now) and post.author_id != member_id:
            await award_activity(uow, deps.clock, ActivityAward(
                post.author_id, Activity.COMMUNITY_LIKE_RECEIVED, f"post:{post_id}", f"like/{post_id}/{member_id}"))
        await uow.commit()
        fresh = await uow.community.post(post_id)
    assert fresh is not None
    return fresh


async def unlike(uow: UnitOfWork, viewer: Viewer, post_id: int) -> Post:
    member_id = viewer.require_member()
    async with uow:
        await _visible_post(uow, post_id, member_id)
        await uow.community.unlike(post_id, member_id)
        await uow.commit()
        fresh = await uow.community.post(post_id)
    assert fresh is not None
    return fresh


async def delete_post(uow: UnitOfWork, viewer: Viewer, post_id: int) -> None:
    member_id = viewer.require_member()
    async with uow:
        post = await uow.community.post(post_id, for_update=True)
        if post is None or post.author_id != member_id or post.status is ContentStatus.DELETED:
            raise NotFound("No such post of yours.")
        await uow.community.set_post_status(post_id, ContentStatus.DELETED, None)
        await uow.commit()


@dataclass(frozen=True)
class Report:
    target: str
    target_id: int
    reason: str


async def report(cmd: Report, deps: Deps) -> None:
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    target, target_id, reason = cmd.target, cmd.target_id, cmd.reason
    member_id = viewer.require_member()
    if target not in REPORT_TARGETS:
        raise BadUserInput.for_field("target", "Report a post or a comment.")
    text = clean_text(reason, "reason", 200)
    async with uow:
        exists = (await uow.community.post(target_id) if target == "post"
                  else await uow.community.comment(target_id))
        post = exists if isinstance(exists, Post) else (
            await uow.community.post(exists.post_id) if exists is not None else None)
        if exists is None or post is None or not await _may_see_group(uow, post.group_id, member_id):
            raise NotFound(f"No such {target}.")
        if await uow.community.report(target, target_id, member_id, text, now):
            uow.publish_after_commit(ContentReported(target, target_id, text))
        await uow.commit()


@dataclass(frozen=True)
class ModeratePost:
    post_id: int
    hide: bool
    reason: str


async def moderate_post(cmd: ModeratePost, deps: Deps) -> Post:
    """Staff hide or restore a post; the reason is kept with it and in the audit log."""
    uow, viewer, now = deps.uow, deps.viewer, deps.clock.now()
    post_id, hide, reason = cmd.post_id, cmd.hide, cmd.reason
    staff_id = viewer.require_staff()
    text = clean_text(reason, "reason", 200)
    async with uow:
        post = await uow.community.post(post_id, for_update=True)
        if post is None or post.status is ContentStatus.DELETED:
            raise NotFound("No such post.")
        status = ContentStatus.HIDDEN if hide else ContentStatus.VISIBLE
        await uow.community.set_post_status(post_id, status, text)
        await uow.audit.record(Role.STAFF, staff_id, "post.hidden" if hide else "post.restored", f"post:{post_id}",
                               {"reason": text}, now)
        await uow.commit()
        fresh = await uow.community.post(post_id)
    assert fresh is not None
    return fresh


async def set_banned_words(uow: UnitOfWork, viewer: Viewer, words: list[str], now: datetime) -> list[str]:
    staff_id = viewer.require_staff()
    cleaned = sorted({w.strip() for w in words if w.strip()})
    if len(cleaned) > 1000 or any(len(w) > 40 for w in cleaned):
        raise BadUserInput.for_field("words", "At most 1000 words of up to 40 characters.")
    async with uow:
        await uow.rules.save_settings({"banned_words": cleaned}, now)
        await uow.audit.record(Role.STAFF, staff_id, "banned-words.set", "program", {"count": len(cleaned)}, now)
        await uow.commit()
    return cleaned


@dataclass(frozen=True)
class FeedPage:
    posts: list[Post]
    has_next: bool


async def feed(uow: UnitOfWork, viewer: Viewer, flt: FeedFilter, first: int,
               before: tuple[datetime, int] | None) -> FeedPage:
    """Visible posts, newest first, keyset-paginated."""
    if not viewer.is_authenticated:
        viewer.require_member()
    if not 1 <= first <= 50:
        raise BadUserInput.for_field("first", "Ask for 1 to 50 posts.")
    async with uow:
        if viewer.role is not Role.STAFF:
            # Tier-restricted groups stay inside their tier: the group's own feed is refused as
            # joining it is, and its posts are left out of every other feed.
            rank = await member_tier_rank(uow, viewer.require_member())
            if flt.group_id is not None:
                group = await uow.community.group(flt.group_id)
                if group is not None and group.min_tier_rank > rank:
                    raise Forbidden("This group is for members of a higher tier.")
            flt = replace(flt, max_group_rank=rank)
        rows = await uow.community.feed(flt, before, first + 1)
    return FeedPage(rows[:first], len(rows) > first)


async def public_profiles(uow: UnitOfWork, member_ids: list[int]) -> dict[int, tuple[str | None, str | None]]:
    """What other members may see of an author: display name and avatar, never the phone."""
    async with uow:
        found = await uow.members.get_many(member_ids)
    return {mid: ("Erased member" if m.is_erased else m.display_name, m.avatar_url) for mid, m in found.items()}


async def liked_by(uow: UnitOfWork, member_id: int, post_ids: list[int]) -> set[int]:
    async with uow:
        return await uow.community.liked(member_id, post_ids)


async def groups_by_ids(uow: UnitOfWork, ids: list[int]) -> dict[int, Group]:
    async with uow:
        return await uow.community.groups_by_ids(ids)


async def list_groups(uow: UnitOfWork) -> list[Group]:
    async with uow:
        return await uow.community.groups()


async def comments_of(uow: UnitOfWork, post_ids: list[int], limit_each: int) -> dict[int, list[Comment]]:
    async with uow:
        return await uow.community.comments(post_ids, limit_each)


async def post_for(uow: UnitOfWork, viewer: Viewer, post_id: int) -> Post:
    """One visible post, as the feed shows it: staff see any; a member not those of a group above
    their tier (the same NOT_FOUND as an unknown id)."""
    if viewer.is_authenticated and viewer.role is Role.STAFF:
        async with uow.read_only():
            post = await uow.community.post(post_id)
        if post is None or post.status is not ContentStatus.VISIBLE:
            raise NotFound("No such post.")
        return post
    member_id = viewer.require_member()
    async with uow.read_only():
        return await _visible_post(uow, post_id, member_id)


async def comments_page(uow: UnitOfWork, post_id: int, after_id: int, first: int) -> tuple[list[Comment], bool]:
    """Comments of a post the caller already read, oldest first."""
    if not 1 <= first <= 100:
        raise BadUserInput.for_field("first", "Ask for 1 to 100 comments.")
    async with uow.read_only():
        rows = await uow.community.comments_after(post_id, after_id, first + 1)
    return rows[:first], len(rows) > first


async def comment_counts(uow: UnitOfWork, post_ids: list[int]) -> dict[int, int]:
    async with uow.read_only():
        return await uow.community.count_comments(post_ids)


async def visible_posts(uow: UnitOfWork, viewer: Viewer, post_ids: list[int]) -> dict[int, Post]:
    """The visible posts among these ids under `post_for`'s rules, in a fixed number of queries (posts,
    their groups, the member's tier once); the others are absent."""
    if not viewer.is_authenticated:
        return {}  # posts are for signed-in callers; in `nodes` each such id answers null, not the whole call
    staff = viewer.role is Role.STAFF
    member_id = None if staff else viewer.require_member()
    async with uow.read_only():
        found = {i: p for i, p in (await uow.community.posts_by_ids(post_ids)).items()
                 if p.status is ContentStatus.VISIBLE}
        if member_id is None:
            return found
        groups = await uow.community.groups_by_ids(sorted({p.group_id for p in found.values() if p.group_id}))
        limited = [g.min_tier_rank for g in groups.values() if g.min_tier_rank > 0]
        rank = await member_tier_rank(uow, member_id) if limited else 0

    def may_see(group_id: int | None) -> bool:
        group = groups.get(group_id) if group_id is not None else None
        return group is None or group.min_tier_rank <= 0 or rank >= group.min_tier_rank

    return {i: p for i, p in found.items() if may_see(p.group_id)}


async def visible_groups(uow: UnitOfWork, viewer: Viewer, group_ids: list[int]) -> dict[int, Group]:
    """The groups among these ids the caller may see (inactive ones: staff only), in one query. Anyone
    may list groups (`groups`), so an anonymous caller sees the active ones here too."""
    async with uow.read_only():
        found = await uow.community.groups_by_ids(group_ids)
    return {i: g for i, g in found.items() if g.active or viewer.role is Role.STAFF}


async def group_for(uow: UnitOfWork, viewer: Viewer, group_id: int) -> Group:
    """A group, for any signed-in caller (inactive ones: staff only, the rule of `visible_groups`)."""
    if not viewer.is_authenticated:
        viewer.require_member()
    found = (await visible_groups(uow, viewer, [group_id])).get(group_id)
    if found is None:
        raise NotFound("No such group.")
    return found
