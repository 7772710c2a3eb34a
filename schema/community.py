"""Community: groups, posts, comments, likes, feeds and moderation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain import cursors
from domain.auth.viewer import Role
from domain.community import services
from domain.community.model import Comment as DomainComment
from domain.community.model import FeedFilter
from domain.community.model import Group as DomainGroup
from domain.community.model import Post as DomainPost
from domain.errors import BadUserInput
from domain.gamification.rules import title_of
from domain.messages import EN
from schema.connections import PageInfo
from schema.enums import ReportTarget
from schema.info import Info
from schema.refs import Node, global_id, parse_id


@strawberry.type(description="The public face of a post or comment author: display name and avatar, never "
                              "contact details.")
class Author:
    id: strawberry.ID = strawberry.field(description="The author's member id (a plain id, not a `Node` global id).")
    display_name: str = strawberry.field(description="The name to show; \"Member\" when the author set none, "
                                                     "\"Erased member\" after an erasure.")
    avatar_url: str | None = strawberry.field(description="https URL of the avatar image; null when none was set.")
    member_id: strawberry.Private[int]

    @strawberry.field(description="The title the author carries now (from their highest-ranked current badge, e.g. "
                                  "积分英雄), in the caller's language; null: none.")
    async def title(self, info: Info) -> str | None:
        badge = title_of(await info.context.loaders.titled_badges_by_member.load(self.member_id),
                         info.context.container.now())
        if badge is None:
            return None
        return badge.title_en if info.context.language == EN else badge.title


@strawberry.type(description="An interest group members join and post in; some are limited to a minimum tier.")
class Group(Node):
    id: strawberry.ID = strawberry.field(description="Global id (usable with `node`, `group` and `feed(groupId:)`).")
    name: str = strawberry.field(description="The group's name (at most 40 characters).")
    description: str = strawberry.field(description="What the group is about (at most 500 characters; may be empty).")
    min_tier_rank: int = strawberry.field(description="Members below this tier rank cannot join or post here.")

    @strawberry.field(description="Whether the signed-in member's tier may join and post here (staff: true; "
                                  "anonymous: null).")
    async def open_to_me(self, info: Info) -> bool | None:
        viewer = info.context.viewer
        if viewer.role is Role.STAFF and viewer.is_authenticated:
            return True
        if viewer.role is not Role.MEMBER or viewer.subject_id is None:
            return None
        return await info.context.loaders.tier_rank_by_member.load(viewer.subject_id) >= self.min_tier_rank

    @classmethod
    def from_domain(cls, g: DomainGroup) -> Group:
        return cls(id=global_id("Group", g.id), name=g.name, description=g.description, min_tier_rank=g.min_tier_rank)


async def _author(info: Info, member_id: int) -> Author:
    found = await info.context.loaders.author_by_id.load(member_id)
    name, avatar = found or (None, None)
    return Author(id=strawberry.ID(str(member_id)), display_name=name or "Member", avatar_url=avatar,
                  member_id=member_id)


@strawberry.type(description="A comment on a post, or a reply to a top-level comment (replies go one level deep).")
class Comment:
    id: strawberry.ID = strawberry.field(description="The comment id (pass it as `parentId` to reply, or to "
                                                     "`reportContent`).")
    body: str = strawberry.field(description="The text (at most 500 characters).")
    created_at: datetime = strawberry.field(description="When it was written (UTC).")
    parent_id: strawberry.ID | None = strawberry.field(description="The comment this replies to; null for a "
                                                                   "top-level comment.")
    author_id: strawberry.Private[int]

    @strawberry.field(description="Who wrote the comment.")
    async def author(self, info: Info) -> Author:
        return await _author(info, self.author_id)

    @classmethod
    def from_domain(cls, c: DomainComment) -> Comment:
        return cls(id=strawberry.ID(str(c.id)), body=c.body, created_at=c.created_at,
                   parent_id=strawberry.ID(str(c.parent_id)) if c.parent_id else None, author_id=c.author_id)


@strawberry.type(description="One comment in a page of comments.")
class CommentEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this comment; pass it as `after` to read on.")
    node: Comment = strawberry.field(description="The comment.")


@strawberry.type(description="A page of a post's visible comments, oldest first.")
class CommentConnection:
    edges: list[CommentEdge] = strawberry.field(description="The comments of this page, oldest first.")
    page_info: PageInfo = strawberry.field(description="Whether more comments follow and the cursor to ask from.")
    post_id: strawberry.Private[int]

    @strawberry.field(description="Visible comments of the post in all pages.")
    async def total_count(self, info: Info) -> int:
        return await info.context.loaders.comment_count_by_post.load(self.post_id)

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[Comment]:
        return [e.node for e in self.edges]


@strawberry.type(description="A member's post in the community feed, optionally in a group and linked to a reward.")
class Post(Node):
    id: strawberry.ID = strawberry.field(description="Global id (usable with `node` and `post`).")
    body: str = strawberry.field(description="The text (at most 2000 characters).")
    image_urls: list[str] = strawberry.field(description="https image URLs, in order (at most 9; empty when none).")
    like_count: int = strawberry.field(description="How many members like the post.")
    comment_count: int = strawberry.field(description="How many comments the post has.")
    created_at: datetime = strawberry.field(description="When it was posted (UTC).")
    linked_reward_id: strawberry.ID | None = strawberry.field(description="Global id of the `Reward` the post "
                                                                      "points to; null when none.")
    author_id: strawberry.Private[int]
    group_id: strawberry.Private[int | None]
    post_id: strawberry.Private[int]

    @strawberry.field(description="Who wrote the post.")
    async def author(self, info: Info) -> Author:
        return await _author(info, self.author_id)

    @strawberry.field(description="The group it was posted in; null for a post outside any group.")
    async def group(self, info: Info) -> Group | None:
        if self.group_id is None:
            return None
        found = await info.context.loaders.group_by_id.load(self.group_id)
        return Group.from_domain(found) if found else None

    @strawberry.field(description="Whether the signed-in member liked this post.")
    async def liked_by_me(self, info: Info) -> bool:
        viewer = info.context.viewer
        if viewer.subject_id is None or viewer.role is not Role.MEMBER:
            return False
        return await info.context.loaders.liked_by_viewer.load((viewer.subject_id, self.post_id))

    @strawberry.field(description="Visible comments, oldest first: the first `first` (1 to 100; a feed card asks "
                                  "for a few), then page with `after`.")
    async def comments(
        self, info: Info,
        first: Annotated[int, strawberry.argument(description="How many comments (1 to 100).")] = 3,
        after: Annotated[str | None, strawberry.argument(
            description="Opaque cursor (`pageInfo.endCursor`) to continue after; omit for the first page.")] = None,
    ) -> CommentConnection:
        if after is None:
            if not 1 <= first <= 100:
                raise BadUserInput.for_field("first", "Ask for 1 to 100 comments.")
            # Batched across every post of a feed page: one query, not one per post.
            rows = await info.context.loaders.comments_by_post.load((self.post_id, first + 1))
            page, has_next = rows[:first], len(rows) > first
        else:
            page, has_next = await services.comments_page(info.context.uow(), self.post_id,
                                                          cursors.decode_int(after)[1], first)
        edges = [CommentEdge(cursor=cursors.encode(c.id, c.id), node=Comment.from_domain(c)) for c in page]
        return CommentConnection(edges=edges, post_id=self.post_id, page_info=PageInfo(
            has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None))

    @classmethod
    def from_domain(cls, p: DomainPost) -> Post:
        return cls(id=global_id("Post", p.id), body=p.body, image_urls=list(p.image_urls), like_count=p.like_count,
                   comment_count=p.comment_count, created_at=p.created_at,
                   linked_reward_id=global_id("Reward", p.linked_reward_id) if p.linked_reward_id else None,
                   author_id=p.author_id, group_id=p.group_id, post_id=p.id)


@strawberry.type(description="One post in a page of the feed.")
class PostEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this post; pass it as `after` to read on.")
    node: Post = strawberry.field(description="The post.")


@strawberry.type(description="A page of the feed, newest post first.")
class PostConnection:
    edges: list[PostEdge] = strawberry.field(description="The posts of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Whether older posts follow and the cursor to ask from.")


def _cursor(p: DomainPost) -> str:
    return cursors.encode(p.created_at, p.id)


@strawberry.input(description="A new post by the signed-in member.")
class CreatePostInput:
    body: str = strawberry.field(description="The text: 1 to 2000 characters after trimming; no banned words.")
    image_urls: list[str] = strawberry.field(default_factory=list,
                                             description="Up to 9 https image URLs (each at most 500 characters).")
    group_id: strawberry.ID | None = strawberry.field(default=None, description="Global id of an active group "
                                                      "the member's tier may post in; omit to post outside groups.")
    linked_reward_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of a reward to link; omit for none.")


@strawberry.input(description="An interest group to create (no `id`) or replace (with `id`).")
class SaveGroupInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="Global id of the group to change; "
                                                                       "omit to create one.")
    name: str = strawberry.field(description="The name: 1 to 40 characters after trimming.")
    description: str = strawberry.field(default="", description="What the group is about (at most 500 characters).")
    min_tier_rank: int = strawberry.field(default=0, description="Lowest tier rank that may join, post and read "
                                                                "here (0: everyone; not negative).")
    active: bool = strawberry.field(default=True, description="false retires the group: members can no longer "
                                                              "see it in `groups`, join it or post in it.")


@strawberry.type(description="The post after the change.")
class PostPayload:
    post: Post = strawberry.field(description="The post as it now stands.")


@strawberry.type(description="The comment just written.")
class CommentPayload:
    comment: Comment = strawberry.field(description="The saved comment.")


@strawberry.type(description="The group after the change.")
class GroupPayload:
    group: Group = strawberry.field(description="The group as it now stands.")


@strawberry.type(description="The answer of a mutation that has nothing else to return.")
class DonePayload:
    ok: bool = strawberry.field(description="Always true: a failure is an error instead.")


@strawberry.type
class CommunityQueries:
    @strawberry.field(description="Visible posts, newest first: all, one group, one author, or the groups I joined. "
                                  "Signed-in members and staff (anonymous: UNAUTHENTICATED); a member never sees "
                                  "posts of groups above their tier, and asking for such a group is FORBIDDEN.")
    async def feed(
        self, info: Info,
        first: Annotated[int, strawberry.argument(description="How many posts (1 to 50).")] = 20,
        after: Annotated[str | None, strawberry.argument(
            description="Opaque cursor (`pageInfo.endCursor`) to continue after; omit for the newest posts.")] = None,
        group_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only posts of this group (its global id).")] = None,
        author_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only posts of this author (`Author.id`).")] = None,
        following: Annotated[bool, strawberry.argument(
            description="true: only posts in the groups the signed-in member joined (members only).")] = False,
    ) -> PostConnection:
        ctx = info.context
        flt = FeedFilter(
            group_id=parse_id(group_id, "groupId") if group_id else None,
            author_id=parse_id(author_id, "authorId") if author_id else None,
            following_member_id=ctx.viewer.require_member() if following else None,
        )
        page = await services.feed(ctx.uow(), ctx.viewer, flt, first, cursors.decode_time(after) if after else None)
        edges = [PostEdge(cursor=_cursor(p), node=Post.from_domain(p)) for p in page.posts]
        return PostConnection(edges=edges, page_info=PageInfo(has_next_page=page.has_next,
                                                              end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="One visible post (signed-in members and staff); hidden, deleted or unknown, or "
                                  "for a member in a group above their tier: NOT_FOUND.")
    async def post(self, info: Info,
                   id: Annotated[strawberry.ID, strawberry.argument(description="The post's global id.")]) -> Post:
        return Post.from_domain(await services.post_for(info.context.uow(), info.context.viewer,
                                                          parse_id(id, type_name="Post")))

    @strawberry.field(description="One interest group (signed-in callers; anonymous: UNAUTHENTICATED); unknown, "
                                  "or retired for anyone but staff: NOT_FOUND. See `openToMe` for the tier rule.")
    async def group(self, info: Info,
                    id: Annotated[strawberry.ID, strawberry.argument(description="The group's global id.")]) -> Group:
        return Group.from_domain(await services.group_for(info.context.uow(), info.context.viewer,
                                                             parse_id(id, type_name="Group")))

    @strawberry.field(description="All active interest groups, in creation order (anyone but partners, signed in "
                                  "or not; tier-limited groups are listed too, see `openToMe`).")
    async def groups(self, info: Info) -> list[Group]:
        return [Group.from_domain(g) for g in await services.list_groups(info.context.uow())]


@strawberry.type
class CommunityMutations:
    @strawberry.mutation(description="Members: publish a post; the first post of the day may earn points. "
                                     "BAD_USER_INPUT for invalid text or images, CONTENT_REJECTED for banned words, "
                                     "NOT_FOUND for an unknown group or reward, FORBIDDEN for a group above the "
                                     "member's tier.")
    async def create_post(self, info: Info, input: Annotated[CreatePostInput, strawberry.argument(
            description="The post.")]) -> PostPayload:
        ctx = info.context
        post = await services.create_post(services.CreatePost(
            input.body, list(input.image_urls),
            parse_id(input.group_id, "groupId") if input.group_id else None,
            parse_id(input.linked_reward_id, "linkedRewardId") if input.linked_reward_id else None,
        ), ctx.deps())
        return PostPayload(post=Post.from_domain(post))

    @strawberry.mutation(description="Members: comment on a visible post, or reply to one of its top-level comments. "
                                     "NOT_FOUND for a post or comment they cannot see, CONTENT_REJECTED for banned "
                                     "words, BAD_USER_INPUT for empty or too long text or a reply to a reply.")
    async def comment_on_post(
        self, info: Info,
        post_id: Annotated[strawberry.ID, strawberry.argument(description="The post's global id.")],
        body: Annotated[str, strawberry.argument(description="The text: 1 to 500 characters after trimming.")],
        parent_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="The top-level comment of the same post to reply to; omit for a top-level comment.")] = None,
    ) -> CommentPayload:
        ctx = info.context
        saved = await services.comment(services.AddComment(
            parse_id(post_id, "postId"), body, parse_id(parent_id, "parentId") if parent_id else None), ctx.deps())
        return CommentPayload(comment=Comment.from_domain(saved))

    @strawberry.mutation(description="Members: like a visible post (NOT_FOUND otherwise); liking twice is still one "
                                     "like. The author may earn points for each member's first like.")
    async def like_post(self, info: Info, post_id: Annotated[strawberry.ID, strawberry.argument(
            description="The post's global id.")]) -> PostPayload:
        ctx = info.context
        post = await services.like(parse_id(post_id, "postId"), ctx.deps())
        return PostPayload(post=Post.from_domain(post))

    @strawberry.mutation(description="Members: take back a like (nothing happens if there was none); NOT_FOUND for a "
                                     "post they cannot see.")
    async def unlike_post(self, info: Info, post_id: Annotated[strawberry.ID, strawberry.argument(
            description="The post's global id.")]) -> PostPayload:
        ctx = info.context
        return PostPayload(post=Post.from_domain(await services.unlike(ctx.uow(), ctx.viewer,
                                                                       parse_id(post_id, "postId"))))

    @strawberry.mutation(description="Members delete their own posts; NOT_FOUND for anyone else's post or one "
                                     "already deleted.")
    async def delete_post(self, info: Info, post_id: Annotated[strawberry.ID, strawberry.argument(
            description="The post's global id.")]) -> DonePayload:
        await services.delete_post(info.context.uow(), info.context.viewer, parse_id(post_id, "postId"))
        return DonePayload(ok=True)

    @strawberry.mutation(description="Members: report a post or comment to the moderators; NOT_FOUND when it does "
                                     "not exist or is not visible to them.")
    async def report_content(
        self, info: Info,
        target: Annotated[ReportTarget, strawberry.argument(description="Whether `id` names a post or a comment.")],
        id: Annotated[strawberry.ID, strawberry.argument(description="The post's global id or the comment's id.")],
        reason: Annotated[str, strawberry.argument(description="Why: 1 to 200 characters after trimming.")],
    ) -> DonePayload:
        ctx = info.context
        await services.report(services.Report(target.value, parse_id(id), reason), ctx.deps())
        return DonePayload(ok=True)

    @strawberry.mutation(description="Staff: hide (hidden=true) or restore a post, with a reason kept in the audit "
                                     "log; NOT_FOUND for an unknown or author-deleted post.")
    async def moderate_post(
        self, info: Info,
        post_id: Annotated[strawberry.ID, strawberry.argument(description="The post's global id.")],
        hidden: Annotated[bool, strawberry.argument(description="true hides the post, false makes it visible again.")],
        reason: Annotated[str, strawberry.argument(description="Why: 1 to 200 characters after trimming.")],
    ) -> PostPayload:
        ctx = info.context
        post = await services.moderate_post(
            services.ModeratePost(parse_id(post_id, "postId"), hidden, reason), ctx.deps())
        return PostPayload(post=Post.from_domain(post))

    @strawberry.mutation(description="Staff: replace the banned-words list (matched case-insensitively anywhere in a "
                                     "post or comment); returns the saved list, trimmed, deduplicated and sorted.")
    async def set_banned_words(self, info: Info, words: Annotated[list[str], strawberry.argument(
            description="The whole new list: at most 1000 words of up to 40 characters; blanks are dropped.")],
    ) -> list[str]:
        ctx = info.context
        return await services.set_banned_words(ctx.uow(), ctx.viewer, words, ctx.container.now())

    @strawberry.mutation(description="Staff: create (no id) or change an interest group; BAD_USER_INPUT for an "
                                     "invalid name, description or tier rank, NOT_FOUND for an unknown id.")
    async def save_group(self, info: Info, input: Annotated[SaveGroupInput, strawberry.argument(
            description="The group.")]) -> GroupPayload:
        ctx = info.context
        group = DomainGroup(parse_id(input.id) if input.id else 0, input.name, input.description,
                            input.min_tier_rank, input.active)
        return GroupPayload(group=Group.from_domain(await services.save_group(ctx.uow(), ctx.viewer, group,
                                                                              ctx.container.now())))

    @strawberry.mutation(description="Members: join an active group (joining twice is harmless); NOT_FOUND for an "
                                     "unknown or retired group, FORBIDDEN when it is above the member's tier.")
    async def join_group(self, info: Info, group_id: Annotated[strawberry.ID, strawberry.argument(
            description="The group's global id.")]) -> GroupPayload:
        ctx = info.context
        group = await services.join_group(ctx.uow(), ctx.viewer, parse_id(group_id, "groupId"), ctx.container.now())
        return GroupPayload(group=Group.from_domain(group))

    @strawberry.mutation(description="Members: leave a group; NOT_FOUND when they are not in it.")
    async def leave_group(self, info: Info, group_id: Annotated[strawberry.ID, strawberry.argument(
            description="The group's global id.")]) -> DonePayload:
        await services.leave_group(info.context.uow(), info.context.viewer, parse_id(group_id, "groupId"))
        return DonePayload(ok=True)
