"""Member messages: the inbox, channel preferences, the send record and message templates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON

from domain.messaging import inbox, preferences, records
from domain.messaging import templates as catalogue
from domain.messaging.model import MessageCategory as DomainCategory
from domain.messaging.model import MessageChannel as DomainChannel
from domain.messaging.model import Notification as DomainNotification
from domain.messaging.model import SendStatus as DomainSendStatus
from schema.connections import PageInfo
from schema.enums import register_enum
from schema.info import Info
from schema.refs import global_id, parse_id

register_enum(DomainChannel, "MessageChannel", "A way a message reaches a member.", {
    "INBOX": "The in-app inbox (`me.notifications`).",
    "PUSH": "App push notification, to the device linked as APP_DEVICE.",
    "MINI_PROGRAM": "Mini-program subscribe message, to the openid linked as MINI_PROGRAM.",
    "SMS": "Text message to the member's phone.",
})
MessageChannel = DomainChannel
register_enum(DomainCategory, "MessageCategory", "Why a member may be sent a message.", {
    "TRANSACTIONAL": "About something that happened to the member's account: sent regardless of marketing consent.",
    "MARKETING": "A nudge: only with marketing consent, on enabled channels, outside quiet hours, under the caps.",
})
MessageCategory = DomainCategory
register_enum(DomainSendStatus, "MessageSendStatus", "Where one message on one channel stands.", {
    "PENDING": "Queued (or deferred by quiet hours, or waiting to retry).",
    "SENT": "Handed to the channel.",
    "SKIPPED": "Not sent because a rule said no (`result` says which); never retried.",
    "FAILED": "The provider kept failing; retries used up.",
})
MessageSendStatus = DomainSendStatus


def _language(info: Info) -> str:
    return str(getattr(info.context, "language", "zh-CN"))


@strawberry.type(description="One message in the member's inbox, in the caller's language (Accept-Language).")
class Notification:
    id: strawberry.ID = strawberry.field(description="The notification's id (pass it to `markNotificationsRead`).")
    kind: str = strawberry.field(description="The message kind (its template), e.g. POINTS_EXPIRING.")
    title: str = strawberry.field(description="Short title.")
    body: str = strawberry.field(description="The message text.")
    created_at: datetime = strawberry.field(description="When it arrived (UTC).")
    read_at: datetime | None = strawberry.field(description="When the member read it (UTC); null while unread.")

    @strawberry.field(description="True once read.")
    def read(self) -> bool:
        return self.read_at is not None

    @classmethod
    def from_domain(cls, n: DomainNotification, language: str) -> Notification:
        title, body = catalogue.render(n.kind, language, n.variables)
        return cls(id=global_id("Notification", n.id), kind=n.kind, title=title, body=body,
                   created_at=n.created_at, read_at=n.read_at)


@strawberry.type(description="One notification in a page of the inbox.")
class NotificationEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this notification: pass it as `after`.")
    node: Notification = strawberry.field(description="The notification.")


@strawberry.type(description="A page of the inbox, newest first.")
class NotificationConnection:
    edges: list[NotificationEdge] = strawberry.field(description="The notifications of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Whether older ones follow, and the cursor to continue from.")

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[Notification]:
        return [e.node for e in self.edges]


async def load_notifications(info: Info, member_id: int, first: int, after: str | None) -> NotificationConnection:
    ctx = info.context
    page = await inbox.notifications_page(inbox.InboxPage(member_id, first, after), ctx.deps())
    language = _language(info)
    edges = [NotificationEdge(cursor=inbox.cursor_of(n), node=Notification.from_domain(n, language))
             for n in page.items]
    return NotificationConnection(edges=edges, page_info=PageInfo(
        has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None))


async def load_unread_count(info: Info, member_id: int) -> int:
    return await inbox.unread_count(member_id, info.context.deps())


@strawberry.type(description="Whether a member takes marketing messages on one channel.")
class ChannelPreference:
    channel: MessageChannel = strawberry.field(description="The channel.")
    enabled: bool = strawberry.field(description="False when the member switched it off (marketing only; "
                                                 "transactional messages still arrive).")


async def load_channel_preferences(info: Info, member_id: int) -> list[ChannelPreference]:
    found = await preferences.channel_preferences(member_id, info.context.deps())
    return [ChannelPreference(channel=p.channel, enabled=p.enabled) for p in found]


@strawberry.type(description="The result of `markNotificationsRead` or `markAllNotificationsRead`.")
class MarkNotificationsReadPayload:
    unread_count: int = strawberry.field(description="Unread notifications left (the inbox badge).")


@strawberry.input(description="Switch one channel on or off for marketing messages.")
class ChannelPreferenceInput:
    channel: MessageChannel = strawberry.field(description="The channel.")
    enabled: bool = strawberry.field(description="True to receive marketing messages on it, false to stop them.")


@strawberry.type(description="The result of `setMessageChannels`.")
class MessageChannelsPayload:
    channels: list[ChannelPreference] = strawberry.field(description="Every channel and whether it is on now.")


def _notification_ids(raw: list[strawberry.ID]) -> list[int]:
    return [parse_id(value, "ids", "Notification") for value in raw[:inbox.MAX_MARK + 1]]


@strawberry.type
class MessagingMutations:
    @strawberry.mutation(description="Member: mark notifications read; ones already read stay as they were, so a "
                                     "repeat changes nothing. NOT_FOUND if any id is not one of yours (nothing is "
                                     "marked); BAD_USER_INPUT for 0 or more than 100 ids.")
    async def mark_notifications_read(
        self, info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Notification ids (1 to 100).")],
    ) -> MarkNotificationsReadPayload:
        count = await inbox.mark_read(inbox.MarkRead(_notification_ids(ids)), info.context.deps())
        return MarkNotificationsReadPayload(unread_count=count)

    @strawberry.mutation(description="Member: mark every notification read (idempotent).")
    async def mark_all_notifications_read(self, info: Info) -> MarkNotificationsReadPayload:
        count = await inbox.mark_read(inbox.MarkRead(None), info.context.deps())
        return MarkNotificationsReadPayload(unread_count=count)

    @strawberry.mutation(description="Member: choose the channels that carry marketing messages (audited); channels "
                                     "not named keep their setting.")
    async def set_message_channels(
        self, info: Info,
        channels: Annotated[list[ChannelPreferenceInput], strawberry.argument(
            description="The channels to switch on or off.")],
    ) -> MessageChannelsPayload:
        cmd = preferences.SetChannels([preferences.ChannelPreference(c.channel, c.enabled) for c in channels[:10]])
        found = await preferences.set_message_channels(cmd, info.context.deps())
        return MessageChannelsPayload(channels=[ChannelPreference(channel=p.channel, enabled=p.enabled)
                                                for p in found])


@strawberry.type(description="A message template: its text per language with `{variable}` placeholders.")
class MessageTemplate:
    kind: str = strawberry.field(description="The message kind, e.g. POINTS_EXPIRING.")
    category: MessageCategory = strawberry.field(description="Transactional or marketing.")
    channels: list[MessageChannel] = strawberry.field(description="The channels it goes out on.")
    variables: list[str] = strawberry.field(description="The placeholders its text uses.")
    title_zh_cn: str = strawberry.field(description="Title in zh-CN.")
    body_zh_cn: str = strawberry.field(description="Body in zh-CN.")
    title_en: str = strawberry.field(description="Title in en.")
    body_en: str = strawberry.field(description="Body in en.")

    @classmethod
    def from_domain(cls, t: catalogue.Template) -> MessageTemplate:
        return cls(kind=t.kind, category=t.category, channels=list(t.channels), variables=list(t.variables),
                   title_zh_cn=t.title["zh-CN"], body_zh_cn=t.body["zh-CN"], title_en=t.title["en"],
                   body_en=t.body["en"])


@strawberry.type(description="A template rendered with sample variables, as a member would read it.")
class MessagePreview:
    kind: str = strawberry.field(description="The message kind.")
    language: str = strawberry.field(description="The language rendered (zh-CN or en).")
    title: str = strawberry.field(description="The rendered title.")
    body: str = strawberry.field(description="The rendered body; a placeholder without a value stays `{name}`.")


@strawberry.type(description="One message to one member on one channel, as the send record keeps it.")
class MessageSend:
    id: strawberry.ID = strawberry.field(description="The record's id.")
    member_id: strawberry.ID = strawberry.field(description="The member it is for.")
    message_key: str = strawberry.field(description="The deduplication key (one message per member and key).")
    channel: MessageChannel = strawberry.field(description="The channel.")
    kind: str = strawberry.field(description="The message kind (template).")
    category: MessageCategory = strawberry.field(description="Transactional or marketing.")
    variables: JSON = strawberry.field(description="The template's variables.")
    reason: str = strawberry.field(description="Why it was sent: the trigger, journey or campaign.")
    status: MessageSendStatus = strawberry.field(description="Where it stands.")
    attempts: int = strawberry.field(description="Delivery attempts so far.")
    result: str | None = strawberry.field(description="The provider's reference, or why it was skipped or failed.")
    created_at: datetime = strawberry.field(description="When it was queued (UTC).")
    sent_at: datetime | None = strawberry.field(description="When it was sent (UTC); null unless SENT.")


@strawberry.type
class MessagingQueries:
    @strawberry.field(description="Staff: every message template (kinds, channels, variables, both languages).")
    def message_templates(self, info: Info) -> list[MessageTemplate]:
        info.context.viewer.require_staff()
        return [MessageTemplate.from_domain(t) for t in catalogue.TEMPLATES.values()]

    @strawberry.field(description="Staff: render a template with sample variables. BAD_USER_INPUT for an unknown "
                                  "kind or language.")
    def preview_message(
        self, info: Info,
        kind: Annotated[str, strawberry.argument(description="The message kind, e.g. POINTS_EXPIRING.")],
        language: Annotated[str, strawberry.argument(description="zh-CN or en.")],
        variables: Annotated[JSON | None, strawberry.argument(
            description="Sample values by placeholder name, e.g. {\"points\": 120}.")] = None,
    ) -> MessagePreview:
        info.context.viewer.require_staff()
        title, body = catalogue.preview(kind, language, cast(dict, variables or {}))
        return MessagePreview(kind=kind, language=language, title=title, body=body)

    @strawberry.field(description="Staff: the send record of a member, newest first (what, why, channel, result). "
                                  "NOT_FOUND is never answered: an unknown member has no sends.")
    async def message_sends(
        self, info: Info,
        member_id: Annotated[strawberry.ID, strawberry.argument(description="The member.")],
        first: Annotated[int, strawberry.argument(description="How many (1 to 100).")] = 20,
    ) -> list[MessageSend]:
        found = await records.member_sends(parse_id(member_id, "memberId"), first, info.context.deps())
        return [MessageSend(id=strawberry.ID(str(s.id)), member_id=strawberry.ID(str(s.member_id)),
                            message_key=s.message_key, channel=s.channel, kind=s.kind, category=s.category,
                            variables=cast(JSON, s.variables), reason=s.reason, status=s.status, attempts=s.attempts,
                            result=s.result, created_at=s.created_at, sent_at=s.sent_at) for s in found]
