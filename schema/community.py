"""Community: groups, posts, comments, likes, feeds and moderation."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain import cursors
from domain.auth.viewer import Role
from domain.community import services
from domain.community.model import Comment as DomainComment
from domain.community.model import FeedFilter
from domain.community.model import Group as DomainGroup
from domain.community.model import Post as DomainPost
from domain.errors import BadUserInput
from schema.connections import PageInfo
from schema.enums import ReportTarget
from schema.info import Info
from schema.refs import Node, global_id, parse_id


@strawberry.type
class Author:
    id: strawberry.ID
    display_name: str
    avatar_url: str | None


@strawberry.type
class Group(Node):
    id: strawberry.ID
    name: str
    description: str
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
    return Author(id=strawberry.ID(str(member_id)), display_name=name or "Member", avatar_url=avatar)


@strawberry.type
class Comment:
    id: strawberry.ID
    body: str
    created_at: datetime
    parent_id: strawberry.ID | None
    author_id: strawberry.Private[int]

    @strawberry.field
    async def author(self, info: Info) -> Author:
        return await _author(info, self.author_id)

    @classmethod
    def from_domain(cls, c: DomainComment) -> Comment:
        return cls(id=strawberry.ID(str(c.id)), body=c.body, created_at=c.created_at,
                   parent_id=strawberry.ID(str(c.parent_id)) if c.parent_id else None, author_id=c.author_id)


@strawberry.type
class CommentEdge:
    cursor: str
    node: Comment


@strawberry.type
class CommentConnection:
    edges: list[CommentEdge]
    page_info: PageInfo
    post_id: strawberry.Private[int]

    @strawberry.field(description="Visible comments of the post in all pages.")
    async def total_count(self, info: Info) -> int:
        return await info.context.loaders.comment_count_by_post.load(self.post_id)

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[Comment]:
        return [e.node for e in self.edges]


@strawberry.type
class Post(Node):
    id: strawberry.ID
    body: str
    image_urls: list[str]
    like_count: int
    comment_count: int
    created_at: datetime
    linked_reward_id: strawberry.ID | None
    author_id: strawberry.Private[int]
    group_id: strawberry.Private[int | None]
    post_id: strawberry.Private[int]

    @strawberry.field
    async def author(self, info: Info) -> Author:
        return await _author(info, self.author_id)

    @strawberry.field
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
    async def comments(self, info: Info, first: int = 3, after: str | None = None) -> CommentConnection:
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


@strawberry.type
class PostEdge:
    cursor: str
    node: Post


@strawberry.type
class PostConnection:
    edges: list[PostEdge]
    page_info: PageInfo


def _cursor(p: DomainPost) -> str:
    return cursors.encode(p.created_at, p.id)


@strawberry.input
class CreatePostInput:
    body: str
    image_urls: list[str] = strawberry.field(default_factory=list)
    group_id: strawberry.ID | None = None
    linked_reward_id: strawberry.ID | None = None


@strawberry.input
class SaveGroupInput:
    id: strawberry.ID | None = None
    name: str
    description: str = ""
    min_tier_rank: int = 0
    active: bool = True


@strawberry.type
class PostPayload:
    post: Post


@strawberry.type
class CommentPayload:
    comment: Comment


@strawberry.type
class GroupPayload:
    group: Group


@strawberry.type
class DonePayload:
    ok: bool


@strawberry.type
class CommunityQueries:
    @strawberry.field(description="Visible posts, newest first: all, one group, one author, or the groups I joined.")
    async def feed(self, info: Info, first: int = 20, after: str | None = None, group_id: strawberry.ID | None = None,
                   author_id: strawberry.ID | None = None, following: bool = False) -> PostConnection:
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

    @strawberry.field(description="One visible post (signed-in callers); hidden, deleted or unknown: NOT_FOUND.")
    async def post(self, info: Info, id: strawberry.ID) -> Post:
        return Post.from_domain(await services.post_for(info.context.uow(), info.context.viewer,
                                                          parse_id(id, type_name="Post")))

    @strawberry.field(description="One interest group (signed-in callers); see `openToMe` for the tier rule.")
    async def group(self, info: Info, id: strawberry.ID) -> Group:
        return Group.from_domain(await services.group_for(info.context.uow(), info.context.viewer,
                                                             parse_id(id, type_name="Group")))

    @strawberry.field
    async def groups(self, info: Info) -> list[Group]:
        return [Group.from_domain(g) for g in await services.list_groups(info.context.uow())]


@strawberry.type
class CommunityMutations:
    @strawberry.mutation
    async def create_post(self, info: Info, input: CreatePostInput) -> PostPayload:
        ctx = info.context
        post = await services.create_post(services.CreatePost(
            input.body, list(input.image_urls),
            parse_id(input.group_id, "groupId") if input.group_id else None,
            parse_id(input.linked_reward_id, "linkedRewardId") if input.linked_reward_id else None,
        ), ctx.deps())
        return PostPayload(post=Post.from_domain(post))

    @strawberry.mutation
    async def comment_on_post(self, info: Info, post_id: strawberry.ID, body: str,
                              parent_id: strawberry.ID | None = None) -> CommentPayload:
        ctx = info.context
        saved = await services.comment(ctx.uow(), ctx.viewer, parse_id(post_id, "postId"), body,
                                       parse_id(parent_id, "parentId") if parent_id else None, ctx.container.now())
        return CommentPayload(comment=Comment.from_domain(saved))

    @strawberry.mutation(description="Like a post; liking twice is still one like.")
    async def like_post(self, info: Info, post_id: strawberry.ID) -> PostPayload:
        ctx = info.context
        post = await services.like(parse_id(post_id, "postId"), ctx.deps())
        return PostPayload(post=Post.from_domain(post))

    @strawberry.mutation
    async def unlike_post(self, info: Info, post_id: strawberry.ID) -> PostPayload:
        ctx = info.context
        return PostPayload(post=Post.from_domain(await services.unlike(ctx.uow(), ctx.viewer,
                                                                       parse_id(post_id, "postId"))))

    @strawberry.mutation(description="Authors delete their own posts.")
    async def delete_post(self, info: Info, post_id: strawberry.ID) -> DonePayload:
        await services.delete_post(info.context.uow(), info.context.viewer, parse_id(post_id, "postId"))
        return DonePayload(ok=True)

    @strawberry.mutation(description="Report a post or comment to the moderators.")
    async def report_content(self, info: Info, target: ReportTarget, id: strawberry.ID, reason: str) -> DonePayload:
        ctx = info.context
        await services.report(ctx.uow(), ctx.viewer, target.value, parse_id(id), reason, ctx.container.now())
        return DonePayload(ok=True)

    @strawberry.mutation(description="Staff: hide (hidden=true) or restore a post, with a reason.")
    async def moderate_post(self, info: Info, post_id: strawberry.ID, hidden: bool, reason: str) -> PostPayload:
        ctx = info.context
        post = await services.moderate_post(ctx.uow(), ctx.viewer, parse_id(post_id, "postId"), hidden, reason,
                                            ctx.container.now())
        return PostPayload(post=Post.from_domain(post))

    @strawberry.mutation(description="Staff: replace the banned-words list.")
    async def set_banned_words(self, info: Info, words: list[str]) -> list[str]:
        ctx = info.context
        return await services.set_banned_words(ctx.uow(), ctx.viewer, words, ctx.container.now())

    @strawberry.mutation(description="Staff: create (no id) or change an interest group.")
    async def save_group(self, info: Info, input: SaveGroupInput) -> GroupPayload:
        ctx = info.context
        group = DomainGroup(parse_id(input.id) if input.id else 0, input.name, input.description,
                            input.min_tier_rank, input.active)
        return GroupPayload(group=Group.from_domain(await services.save_group(ctx.uow(), ctx.viewer, group,
                                                                              ctx.container.now())))

    @strawberry.mutation
    async def join_group(self, info: Info, group_id: strawberry.ID) -> GroupPayload:
        ctx = info.context
        group = await services.join_group(ctx.uow(), ctx.viewer, parse_id(group_id, "groupId"), ctx.container.now())
        return GroupPayload(group=Group.from_domain(group))

    @strawberry.mutation
    async def leave_group(self, info: Info, group_id: strawberry.ID) -> DonePayload:
        await services.leave_group(info.context.uow(), info.context.viewer, parse_id(group_id, "groupId"))
        return DonePayload(ok=True)
