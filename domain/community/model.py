"""Community: interest groups, posts, comments, likes and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ReportTarget(StrEnum):
    """What a member may report to the moderators."""

    POST = "post"
    COMMENT = "comment"


class ContentStatus(StrEnum):
    VISIBLE = "VISIBLE"
    HIDDEN = "HIDDEN"  # by staff; kept for the audit trail
    DELETED = "DELETED"  # by its author


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    description: str = ""
    min_tier_rank: int = 0
    active: bool = True


@dataclass(frozen=True)
class Post:
    id: int
    author_id: int
    body: str
    created_at: datetime
    group_id: int | None = None
    image_urls: list[str] = field(default_factory=list)
    linked_reward_id: int | None = None
    like_count: int = 0
    comment_count: int = 0
    status: ContentStatus = ContentStatus.VISIBLE
    moderation_reason: str | None = None


@dataclass(frozen=True)
class Comment:
    id: int
    post_id: int
    author_id: int
    body: str
    created_at: datetime
    parent_id: int | None = None
    status: ContentStatus = ContentStatus.VISIBLE


@dataclass(frozen=True)
class FeedFilter:
    group_id: int | None = None
    author_id: int | None = None
    following_member_id: int | None = None  # posts in the groups this member joined
    # Posts of groups above this tier rank are left out (the reader's rank); None: staff see all.
    max_group_rank: int | None = None
