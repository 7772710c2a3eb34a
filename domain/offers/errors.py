"""Errors of coupons and offers."""

from __future__ import annotations

from domain.error_codes import ErrorCode
from domain.errors import Conflict


class CouponNotUsable(Conflict):
    code = ErrorCode.COUPON_NOT_USABLE
