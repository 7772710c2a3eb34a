"""Coupon codes for batches: unguessable, case-insensitive, without characters people confuse.

16 characters from the 31 of VOUCHER_ALPHABET (no 0/O, 1/I/L): 31^16 ≈ 7e23 ≈ 2^79, so with a
million live codes a guess hits one in about 7e17 tries. Members' own coupon codes have 12
characters, so a batch code can never equal one of them (the length tells them apart).
"""

from __future__ import annotations

import os
import re

from domain.benefits.rules import VOUCHER_ALPHABET

CODE_LENGTH = 16
_GROUP = 4
# 248 = 8 × 31: bytes at or above it are dropped, so byte % 31 picks every character equally often.
_UNBIASED_LIMIT = len(VOUCHER_ALPHABET) * (256 // len(VOUCHER_ALPHABET))
_TO_ALPHABET = bytes(ord(VOUCHER_ALPHABET[b % len(VOUCHER_ALPHABET)]) for b in range(256))
_DROPPED = bytes(range(_UNBIASED_LIMIT, 256))
_SEPARATORS = re.compile(r"[\s\-]+")


def new_codes(count: int) -> list[str]:
    """`count` random codes from the operating system's CSPRNG (os.urandom, what `secrets` uses),
    mapped in C by bytes.translate: a million codes take a fraction of a second. Duplicates are
    possible in principle (about 1e-12 for a million); the store's unique index drops them and the
    caller asks for more."""
    need = count * CODE_LENGTH
    pool = b""
    while len(pool) < need:
        # ~3% of bytes are dropped; ask for a little more than needed.
        pool += os.urandom((need - len(pool)) * 33 // 32 + 64).translate(_TO_ALPHABET, _DROPPED)
    text = pool[:need].decode("ascii")
    return [text[i:i + CODE_LENGTH] for i in range(0, need, CODE_LENGTH)]


def normalise_code(typed: str) -> str:
    """What a cashier or member typed, as stored: upper case, without spaces and hyphens."""
    return _SEPARATORS.sub("", typed or "").upper()


def is_batch_code(code: str) -> bool:
    """A well-formed batch code (normalised): anything else is unknown without asking the database."""
    return len(code) == CODE_LENGTH and all(c in VOUCHER_ALPHABET for c in code)


def printed(code: str) -> str:
    """The code as printed and exported: groups of four, ABCD-EFGH-JKMN-PQRS."""
    return "-".join(code[i:i + _GROUP] for i in range(0, len(code), _GROUP))
