"""Staff manage webhook endpoints and the delivery log."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain import cursors
from domain.webhooks import services
from domain.webhooks.model import Delivery as DomainDelivery
from schema.connections import PageInfo
from schema.enums import WebhookDeliveryStatus
from schema.info import Info
from schema.refs import parse_id


@strawberry.type
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    event_types: list[str]
    secret: str = strawberry.field(description="Signing secret, shown once: verify X-Loyalty-Signature with it.")


@strawberry.type
class WebhookDelivery:
    id: strawberry.ID
    event_id: strawberry.ID
    status: WebhookDeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None

    @classmethod
    def from_domain(cls, d: DomainDelivery) -> WebhookDelivery:
        return cls(id=strawberry.ID(str(d.id)), event_id=strawberry.ID(str(d.event_id)),
                   status=WebhookDeliveryStatus(d.status),
                   attempts=d.attempts, next_attempt_at=d.next_attempt_at, last_status=d.last_status,
                   last_error=d.last_error)


@strawberry.type
class WebhookDeliveryEdge:
    cursor: str
    node: WebhookDelivery


@strawberry.type
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge]
    page_info: PageInfo

    @strawberry.field(description="The nodes of `edges`, for clients that do not need per-item cursors.")
    def nodes(self) -> list[WebhookDelivery]:
        return [e.node for e in self.edges]


@strawberry.type
class WebhookQueries:
    @strawberry.field(description="Staff: the delivery log, newest first; page with `first`/`after`.")
    async def webhook_deliveries(self, info: Info, status: WebhookDeliveryStatus | None = None, first: int = 50,
                                 after: str | None = None) -> WebhookDeliveryConnection:
        rows, has_next = await services.deliveries(info.context.uow(), info.context.viewer,
                                                   status.value if status else None, first,
                                                   cursors.decode_int(after)[1] if after else None)
        edges = [WebhookDeliveryEdge(cursor=cursors.encode(d.id, d.id), node=WebhookDelivery.from_domain(d))
                 for d in rows]
        return WebhookDeliveryConnection(edges=edges, page_info=PageInfo(
            has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None))


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(description="Staff: send events to an endpoint (a partner's, or the operator's).")
    async def add_webhook(self, info: Info, url: str, event_types: list[str],
                          partner_id: strawberry.ID | None = None) -> WebhookEndpoint:
        ctx = info.context
        sub = await services.add_subscription(
            ctx.uow(), ctx.viewer, parse_id(partner_id, "partnerId") if partner_id else None, url, event_types,
            ctx.container.now(), allow_http=not ctx.container.settings.is_production)
        return WebhookEndpoint(id=strawberry.ID(str(sub.id)), url=sub.url, event_types=sub.event_types,
                               secret=sub.secret)

    @strawberry.mutation(description="Staff: queue a delivery again (after the endpoint was fixed).")
    async def redeliver_webhook(self, info: Info, delivery_id: strawberry.ID) -> bool:
        ctx = info.context
        await services.redeliver(ctx.uow(), ctx.viewer, parse_id(delivery_id, "deliveryId"), ctx.container.now())
        return True
