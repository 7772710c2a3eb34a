"""Phone numbers are the unified member key, so every channel must spell them the same way."""

from __future__ import annotations

import re

from domain.errors import BadUserInput

# [0-9], not \d: \d also matches other scripts' digits, which would make one phone many keys.
_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_E164_DIGITS = re.compile(r"[1-9][0-9]{6,14}")


def normalize_phone(raw: str, field: str = "phone") -> str:
    """Return the E.164 form (+8613800138000). Bare 11-digit numbers are mainland mobiles."""
    compact = re.sub(r"[\s\-()]", "", raw or "")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not compact.startswith("+"):
        if _CN_MOBILE.fullmatch(compact):
            return "+86" + compact
        raise BadUserInput.for_field(field, "Enter a mobile number, e.g. 13800138000 or +8613800138000.")
    digits = compact[1:]
    if not _E164_DIGITS.fullmatch(digits):
        raise BadUserInput.for_field(field, "That is not a valid phone number.")
    if digits.startswith("86") and not _CN_MOBILE.fullmatch(digits[2:]):
        raise BadUserInput.for_field(field, "That is not a valid mainland China mobile number.")
    return "+" + digits


# Mobile numbers (national part) per country code we text: a number that cannot be a mobile there
# is refused before anything is sent (short or premium numbers are how SMS pumping earns).
MOBILE_RULES: dict[str, re.Pattern[str]] = {
    "86": re.compile(r"1[3-9][0-9]{9}"),  # mainland China: 11 digits, 13x-19x
    "852": re.compile(r"[4-9][0-9]{7}"),  # Hong Kong: 8 digits, mobiles start 4-9
    "853": re.compile(r"6[0-9]{7}"),  # Macau: 8 digits starting 6
    "886": re.compile(r"9[0-9]{8}"),  # Taiwan: 9 digits starting 9 (after +886)
}


def check_textable(phone: str, country_codes: tuple[str, ...], field: str = "phone") -> None:
    """An E.164 phone we may text: in an allow-listed country, and shaped like a mobile there."""
    for code in sorted(country_codes, key=len, reverse=True):
        if phone.startswith("+" + code):
            rule = MOBILE_RULES.get(code)
            if rule is not None and not rule.fullmatch(phone[1 + len(code):]):
                raise BadUserInput.for_field(field, "That is not a mobile number in that country.")
            return
    raise BadUserInput.for_field(field, "Sign-in codes are not sent to numbers in that country.")


def mask_phone(phone: str) -> str:
    """+8613800138000 -> +86138****8000, for messages that echo a number back."""
    if len(phone) < 8:
        return phone
    return phone[:-8] + "****" + phone[-4:]
