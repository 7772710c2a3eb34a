"""Errors of points payments."""

from __future__ import annotations

from domain.error_codes import ErrorCode
from domain.errors import DomainError


class PaymentNotOpen(DomainError):
    """Capture or release of a points payment that is no longer on hold; `status` says what it is."""

    code = ErrorCode.POINTS_PAYMENT_NOT_OPEN
