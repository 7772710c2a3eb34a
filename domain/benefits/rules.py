"""Catalog rules: validating rewards, per-member limits, voucher codes."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta, tzinfo
from urllib.parse import urlparse

from domain.benefits.model import Eligibility, Ineligibility, LimitPeriod, Reward
from domain.errors import BadUserInput, FieldError

# No 0/O, 1/I/L: codes are read aloud at tills and typed by hand.
VOUCHER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
VOUCHER_LENGTH = 12  # 31^12 ≈ 7.9e17: not guessable within any rate limit


def new_voucher_code() -> str:
    return "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(VOUCHER_LENGTH))


def period_start(period: LimitPeriod, now: datetime, zone: tzinfo) -> datetime:
    """Start of the current limit period in the program's time zone, as a UTC-aware datetime."""
    local = now.astimezone(zone)
    if period is LimitPeriod.DAY:
        day = local.date()
    elif period is LimitPeriod.MONTH:
        day = local.date().replace(day=1)
    elif period is LimitPeriod.YEAR:
        day = local.date().replace(month=1, day=1)
    else:
        return datetime(1970, 1, 1, tzinfo=zone)
    return datetime.combine(day, time.min, zone)


def validate_reward(reward: Reward) -> Reward:
    errors: list[FieldError] = []
    if not 0 < len(reward.name.strip()) <= 80:
        errors.append(FieldError("name", "A reward name is 1 to 80 characters."))
    if not 0 < len(reward.category.strip()) <= 40:
        errors.append(FieldError("category", "A category is 1 to 40 characters."))
    if len(reward.description) > 2000:
        errors.append(FieldError("description", "A description is at most 2000 characters."))
    if not 0 < reward.points_price <= 10_000_000:
        errors.append(FieldError("pointsPrice", "The price is 1 to 10,000,000 points."))
    if not 0 <= reward.cash_price_cents <= 100_000_000:
        errors.append(FieldError("cashPriceCents", "The cash part is 0 to 100,000,000 cents."))
    if reward.stock is not None and reward.stock < 0:
        errors.append(FieldError("stock", "Stock is 0 or more (leave it empty for unlimited)."))
    if reward.per_member_limit is not None and reward.per_member_limit <= 0:
        errors.append(FieldError("perMemberLimit", "A limit is 1 or more (leave it empty for none)."))
    if reward.min_tier_rank < 0:
        errors.append(FieldError("minTierRank", "The minimum tier rank is 0 or more."))
    if reward.valid_from and reward.valid_until and reward.valid_from >= reward.valid_until:
        errors.append(FieldError("validUntil", "The offer ends before it starts."))
    if not 1 <= reward.voucher_valid_days <= 3650:
        errors.append(FieldError("voucherValidDays", "Vouchers last 1 to 3650 days."))
    if len(reward.image_urls) > 9 or any(
        urlparse(u).scheme != "https" or len(u) > 500 for u in reward.image_urls
    ):
        errors.append(FieldError("imageUrls", "Up to 9 https image URLs."))
    if errors:
        raise BadUserInput("The reward is invalid.", errors)
    return reward


def voucher_expiry(reward: Reward, now: datetime) -> datetime:
    return now + timedelta(days=reward.voucher_valid_days)


def eligibility(reward: Reward, tier_rank: int, used_in_period: int, available_points: int,
                now: datetime) -> Eligibility:
    """What redeem_reward would say to one unit of this reward, without trying it."""
    remaining = None if reward.per_member_limit is None else max(0, reward.per_member_limit - used_in_period)
    if not reward.on_offer(now):
        return Eligibility(Ineligibility.NOT_ON_OFFER, remaining)
    if tier_rank < reward.min_tier_rank:
        return Eligibility(Ineligibility.TIER_TOO_LOW, remaining)
    if remaining == 0:
        return Eligibility(Ineligibility.LIMIT_REACHED, remaining)
    if reward.stock is not None and reward.stock <= 0:
        return Eligibility(Ineligibility.OUT_OF_STOCK, remaining)
    if available_points < reward.points_price:
        return Eligibility(Ineligibility.NOT_ENOUGH_POINTS, remaining)
    return Eligibility(None, remaining)
