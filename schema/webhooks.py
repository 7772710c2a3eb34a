"""Staff manage webhook endpoints and the delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain import cursors
from domain.webhooks import services
from domain.webhooks.model import Delivery as DomainDelivery
from schema.connections import PageInfo
from schema.enums import WebhookDeliveryStatus
from schema.info import Info
from schema.refs import parse_id


@strawberry.type(description="An endpoint that receives signed event POSTs.")
class WebhookEndpoint:
    id: strawberry.ID = strawberry.field(description="Id of the endpoint.")
    url: str = strawberry.field(description="Where events are POSTed.")
    event_types: list[str] = strawberry.field(description="The event types it receives (e.g. "
                                                          "`partner.transaction`).")
    secret: str = strawberry.field(description="Signing secret, shown once: verify X-Loyalty-Signature with it.")


@strawberry.type(description="One event sent to one endpoint, retried with backoff until delivered or failed.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="Id of the delivery (for `redeliverWebhook`).")
    event_id: strawberry.ID = strawberry.field(description="Id of the event, also sent in the X-Loyalty-Event-Id "
                                                           "header (receivers drop repeats by it).")
    status: WebhookDeliveryStatus = strawberry.field(description="Where the delivery stands.")
    attempts: int = strawberry.field(description="Attempts made so far (it fails after 8).")
    next_attempt_at: datetime = strawberry.field(description="When PENDING: the next attempt (UTC); otherwise when "
                                                             "it was settled.")
    last_status: int | None = strawberry.field(description="HTTP status of the last attempt; null before the first "
                                                           "or when no response came.")
    last_error: str | None = strawberry.field(description="Why the last attempt failed; null when it succeeded or "
                                                          "none was made.")

    @classmethod
    def from_domain(cls, d: DomainDelivery) -> WebhookDelivery:
        return cls(id=strawberry.ID(str(d.id)), event_id=strawberry.ID(str(d.event_id)),
                   status=WebhookDeliveryStatus(d.status),
                   attempts=d.attempts, next_attempt_at=d.next_attempt_at, last_status=d.last_status,
                   last_error=d.last_error)


@strawberry.type(description="One delivery in a page of the delivery log.")
class WebhookDeliveryEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this delivery: pass it as `after` for the next "
                                               "page.")
    node: WebhookDelivery = strawberry.field(description="The delivery.")


@strawberry.type(description="A page of the webhook delivery log, newest first.")
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge] = strawberry.field(description="The deliveries of this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and the cursor to continue from.")

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[WebhookDelivery]:
        return [e.node for e in self.edges]


@strawberry.type
class WebhookQueries:
    @strawberry.field(description="Staff: the delivery log, newest first; page with `first`/`after`.")
    async def webhook_deliveries(
        self, info: Info,
        status: Annotated[WebhookDeliveryStatus | None, strawberry.argument(
            description="Only deliveries in this state; null: all.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size, 1 to 200 (else BAD_USER_INPUT).")] = 50,
        after: Annotated[str | None, strawberry.argument(
            description="Opaque cursor from the previous page (`endCursor`); null: the newest.")] = None,
    ) -> WebhookDeliveryConnection:
        rows, has_next = await services.deliveries(info.context.uow(), info.context.viewer,
                                                   status.value if status else None, first,
                                                   cursors.decode_int(after)[1] if after else None)
        edges = [WebhookDeliveryEdge(cursor=cursors.encode(d.id, d.id), node=WebhookDelivery.from_domain(d))
                 for d in rows]
        return WebhookDeliveryConnection(edges=edges, page_info=PageInfo(
            has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None))


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(description="Staff: send events to an endpoint (a partner's, or the operator's); returns "
                                     "its signing secret once. Bad URL or event type: BAD_USER_INPUT; unknown "
                                     "partner: NOT_FOUND.")
    async def add_webhook(
        self, info: Info,
        url: Annotated[str, strawberry.argument(description="An https URL, at most 500 characters.")],
        event_types: Annotated[list[str], strawberry.argument(
            description="Event types to send, at least one, from the catalogue (README \"Webhooks for every "
                        "domain event\"): member.created/updated/erased, points.earned/spent/expired/adjusted, "
                        "tier.changed, coupon.issued/redeemed, redemption.created/used/cancelled, "
                        "purchase.recorded/refunded, partner.transaction.")],
        partner_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="A partner's endpoint: only events of members linked to that partner, with the fields "
                        "their consent allows (and only its own partner.transaction); null: an operator "
                        "endpoint that gets every event whole.")] = None,
    ) -> WebhookEndpoint:
        ctx = info.context
        sub = await services.add_subscription(services.AddSubscription(
            parse_id(partner_id, "partnerId") if partner_id else None, url, event_types,
            allow_http=not ctx.container.settings.is_production), ctx.deps())
        return WebhookEndpoint(id=strawberry.ID(str(sub.id)), url=sub.url, event_types=sub.event_types,
                               secret=sub.secret)

    @strawberry.mutation(description="Staff: queue a delivery again (after the endpoint was fixed); it is retried "
                                     "at once. Returns true; unknown id: NOT_FOUND.")
    async def redeliver_webhook(self, info: Info, delivery_id: Annotated[strawberry.ID, strawberry.argument(
            description="Id of the delivery (`WebhookDelivery.id`).")]) -> bool:
        ctx = info.context
        await services.redeliver(ctx.uow(), ctx.viewer, parse_id(delivery_id, "deliveryId"), ctx.container.now())
        return True
