"""The default proof step before a login code is texted while SMS budgets are tight: a signed device nonce.

The app signs `<unix seconds>.<nonce>.<phone in E.164>` with the shared `SMS_PROOF_SECRET` (HMAC-SHA256,
hex) and sends `proof: "<unix seconds>.<nonce>.<hex signature>"`. A proof is good for five minutes and
once. It only raises the cost of scripted pumping (the secret ships in the app); production may pass a
captcha provider's verifier (anything with `domain.ports.ProofVerifier`'s `verify`) to `create_app`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import datetime

from domain.ports import UnitOfWork

MAX_AGE_SECONDS = 300
_NONCE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def sign(secret: str, timestamp: int, nonce: str, phone: str) -> str:
    """What an app computes (shown here for tests and client authors)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{nonce}.{phone}".encode(), hashlib.sha256).hexdigest()
    return f"{timestamp}.{nonce}.{digest}"


class SignedDeviceNonce:
    def __init__(self, secret: str, uow: Callable[[], UnitOfWork]) -> None:
        self._secret = secret
        self._uow = uow

    async def verify(self, proof: str, phone: str, address: str | None, now: datetime) -> bool:
        parts = proof.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or not _NONCE.fullmatch(parts[1]):
            return False
        timestamp, nonce = int(parts[0]), parts[1]
        if abs(now.timestamp() - timestamp) > MAX_AGE_SECONDS:
            return False
        if not hmac.compare_digest(sign(self._secret, timestamp, nonce, phone), proof):
            return False
        uow = self._uow()
        async with uow:
            uses = (await uow.throttles.bump(f"sms-nonce:{nonce}", now, MAX_AGE_SECONDS * 2)).count
            await uow.commit()
        return uses == 1
