"""Errors of the reward catalog and vouchers."""

from __future__ import annotations

from domain.error_codes import ErrorCode
from domain.errors import Conflict, Forbidden, OutOfStock

__all__ = ["NotEligible", "OutOfStock", "VoucherNotUsable"]


class NotEligible(Forbidden):
    """The member does not qualify (tier, audience, window); also used by events and surveys."""

    code = ErrorCode.NOT_ELIGIBLE


class VoucherNotUsable(Conflict):
    code = ErrorCode.VOUCHER_NOT_USABLE
