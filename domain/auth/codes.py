"""One-time login codes: how they are made, stored and rate-limited."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import RateLimited


@dataclass(frozen=True)
class LoginCodePolicy:
    ttl_seconds: int = 300
    max_attempts: int = 5
    resend_interval_seconds: int = 60
    max_per_hour: int = 5
    # Where texts may be sent: an open list is an invitation to SMS toll fraud.
    country_codes: tuple[str, ...] = ("86", "852", "853", "886")
    # SMS pumping: budgets per client address and for the whole program, per hour (shared by all workers
    # through the database), and when the budget is tight a proof (signed device nonce, captcha token)
    # is required: after `proof_after_per_address` codes from one address, or once the program has used
    # `proof_above_global_percent` of its hourly budget.
    per_address_per_hour: int = 10
    global_per_hour: int = 1000
    proof_after_per_address: int = 3
    proof_above_global_percent: int = 50


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def hash_code(phone: str, code: str) -> str:
    # Bound to the phone so a stored hash cannot be replayed for another number.
    return hashlib.sha256(f"{phone}:{code}".encode()).hexdigest()


def code_matches(stored_hash: str, phone: str, code: str) -> bool:
    return hmac.compare_digest(stored_hash.encode(), hash_code(phone, code.strip()).encode())


def check_send_rate(sent_in_last_hour: list[datetime], now: datetime, policy: LoginCodePolicy) -> None:
    """Raise RateLimited when another code may not be sent yet."""
    if not sent_in_last_hour:
        return
    latest = max(sent_in_last_hour)
    wait = latest + timedelta(seconds=policy.resend_interval_seconds) - now
    if wait > timedelta(0):
        raise RateLimited("A code was sent moments ago; wait before asking again.", _ceil_seconds(wait))
    if len(sent_in_last_hour) >= policy.max_per_hour:
        oldest = min(sent_in_last_hour)
        raise RateLimited(
            "Too many codes requested for this number; try again later.",
            _ceil_seconds(oldest + timedelta(hours=1) - now),
        )


def _ceil_seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))
