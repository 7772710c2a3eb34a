"""Domain errors. Each carries a stable code that the API layer shows as `extensions.code`."""

from __future__ import annotations

from dataclasses import dataclass

from domain.error_codes import ErrorCode


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    """`message` is English, short and stable; `key` picks a more specific entry of the message
    catalogue (domain/messages.py) than the code's own, where one code has several messages."""

    code: str = ErrorCode.BAD_REQUEST
    key: str | None = None

    def __init__(self, message: str, *, key: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if key is not None:
            self.key = key


class Unauthenticated(DomainError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class Conflict(DomainError):
    code = ErrorCode.CONFLICT


class RateLimited(DomainError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message, retryAfterSeconds=retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds


class ServiceUnavailable(DomainError):
    """A dependency (the database) is down or overloaded: nothing was done; retry the same request
    (with the same idempotency key) after `retryAfterSeconds`."""

    code = "SERVICE_UNAVAILABLE"

    def __init__(self, message: str = "The service is briefly unavailable; retry shortly.",
                 retry_after_seconds: int = 5) -> None:
        super().__init__(message, retryAfterSeconds=retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds


class BadUserInput(DomainError):
    code = ErrorCode.BAD_USER_INPUT

    def __init__(self, message: str, field_errors: list[FieldError] | None = None) -> None:
        errors = field_errors or []
        super().__init__(
            message, fieldErrors=[{"field": e.field, "message": e.message} for e in errors]
        )
        self.field_errors = errors

    @classmethod
    def for_field(cls, field: str, message: str, key: str | None = None) -> BadUserInput:
        error = cls(message, [FieldError(field, message)])
        if key is not None:
            error.key = key
        return error


class InsufficientPoints(DomainError):
    code = ErrorCode.INSUFFICIENT_POINTS


class LimitExceeded(DomainError):
    code = ErrorCode.LIMIT_EXCEEDED


class IdempotencyConflict(Conflict):
    """The same idempotency key arrived again with a different request."""

    code = ErrorCode.IDEMPOTENCY_CONFLICT


class OutOfStock(DomainError):
    """The one OUT_OF_STOCK: reward stock and coupon quantities alike."""

    code = ErrorCode.OUT_OF_STOCK
