"""Domain errors. Each carries a stable code that the API layer shows as `extensions.code`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    code = "BAD_REQUEST"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Conflict(DomainError):
    code = "CONFLICT"


class RateLimited(DomainError):
    code = "RATE_LIMITED"

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
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, field_errors: list[FieldError] | None = None) -> None:
        errors = field_errors or []
        super().__init__(
            message, fieldErrors=[{"field": e.field, "message": e.message} for e in errors]
        )
        self.field_errors = errors

    @classmethod
    def for_field(cls, field: str, message: str) -> BadUserInput:
        return cls(message, [FieldError(field, message)])


class InsufficientPoints(DomainError):
    code = "INSUFFICIENT_POINTS"


class LimitExceeded(DomainError):
    code = "LIMIT_EXCEEDED"


class IdempotencyConflict(Conflict):
    """The same idempotency key arrived again with a different request."""

    code = "IDEMPOTENCY_CONFLICT"
