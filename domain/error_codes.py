"""Every `extensions.code` the server can send, with what a client should do about it.

One list, shared by the domain errors, the API layer (api/errors.py) and the SDL (the GraphQL
enum `ErrorCode`), so an app can switch on codes knowing the list is complete. A test fails when
any code raised anywhere is missing here.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    BAD_REQUEST = "BAD_REQUEST"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    VOUCHER_NOT_USABLE = "VOUCHER_NOT_USABLE"
    POINTS_PAYMENT_NOT_OPEN = "POINTS_PAYMENT_NOT_OPEN"
    COUPON_NOT_USABLE = "COUPON_NOT_USABLE"
    EVENT_FULL = "EVENT_FULL"
    IDENTITY_ALREADY_LINKED = "IDENTITY_ALREADY_LINKED"
    ALREADY_ANSWERED = "ALREADY_ANSWERED"
    CONTENT_REJECTED = "CONTENT_REJECTED"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


DESCRIPTIONS: dict[ErrorCode, str] = {
    ErrorCode.BAD_REQUEST: "The HTTP request itself is malformed (not JSON, wrong shape, wrong media type, "
                           "too large, a persisted-query hash that does not match its document). Fix the client.",
    ErrorCode.BAD_USER_INPUT: "An argument is invalid; `extensions.fieldErrors` lists `{field, message}` per "
                              "input field. Show the messages next to the fields; nothing was changed.",
    ErrorCode.UNAUTHENTICATED: "No valid access token (missing, expired, revoked, or the account was erased). "
                               "Refresh the session or sign in again.",
    ErrorCode.FORBIDDEN: "The viewer is signed in but may not do this (wrong role, tier, or not the owner).",
    ErrorCode.NOT_FOUND: "The object does not exist or the viewer may not see it.",
    ErrorCode.CONFLICT: "The object changed meanwhile or is in a state that does not allow this; reload it.",
    ErrorCode.IDEMPOTENCY_CONFLICT: "The idempotency key was already used with a different request. "
                                    "Use a new key for a new request.",
    ErrorCode.RATE_LIMITED: "Too many attempts; retry after `extensions.retryAfterSeconds` seconds.",
    ErrorCode.INSUFFICIENT_POINTS: "The member's available points do not cover the cost.",
    ErrorCode.LIMIT_EXCEEDED: "A per-member or per-day limit is reached (claims, redemptions, daily caps).",
    ErrorCode.OUT_OF_STOCK: "Nothing left to give out (reward stock, coupon quantity).",
    ErrorCode.NOT_ELIGIBLE: "The member does not qualify (tier, audience or survey window).",
    ErrorCode.VOUCHER_NOT_USABLE: "The reward voucher is used, expired or cancelled; "
                                  "`extensions.status` says which.",
    ErrorCode.POINTS_PAYMENT_NOT_OPEN: "The order's points payment is no longer on hold (captured, released or "
                                       "expired); `extensions.status` says which.",
    ErrorCode.COUPON_NOT_USABLE: "The coupon cannot be applied (used, expired, minimum spend not met).",
    ErrorCode.EVENT_FULL: "The event has no places left.",
    ErrorCode.IDENTITY_ALREADY_LINKED: "The identity (openid, card, device) belongs to another member.",
    ErrorCode.ALREADY_ANSWERED: "The member has already answered this survey.",
    ErrorCode.CONTENT_REJECTED: "The text contains words the community does not allow; edit it and resend.",
    ErrorCode.GRAPHQL_PARSE_FAILED: "The document is not valid GraphQL syntax. A client bug.",
    ErrorCode.GRAPHQL_VALIDATION_FAILED: "The document does not match the schema or exceeds the depth, "
                                         "alias or token limits. A client bug.",
    ErrorCode.PERSISTED_QUERY_NOT_FOUND: "Automatic persisted queries: the server does not know this hash; "
                                         "send the request again with the full `query` and the same hash.",
    ErrorCode.PERSISTED_QUERY_NOT_ALLOWED: "The server only runs trusted documents, and this one is not "
                                           "among them.",
    ErrorCode.SERVICE_UNAVAILABLE: "A dependency is briefly unavailable; retry with back-off. Nothing changed.",
    ErrorCode.INTERNAL_SERVER_ERROR: "A server fault; quote `extensions.requestId` to support.",
}
