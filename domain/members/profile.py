"""Rules for what a member may put in their profile."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import Enum
from urllib.parse import urlparse

from domain.errors import BadUserInput, FieldError
from domain.members.model import Gender, Member


class _Unset(Enum):
    UNSET = "UNSET"


UNSET = _Unset.UNSET

DISPLAY_NAME_MAX = 30
AVATAR_URL_MAX = 500
TAG_MAX_LEN = 20
TAGS_MAX = 20
OLDEST_BIRTHDAY = date(1900, 1, 1)


@dataclass(frozen=True)
class ProfileChanges:
    """Fields left UNSET are not touched; None clears a clearable field."""

    display_name: str | _Unset | None = UNSET
    avatar_url: str | _Unset | None = UNSET
    birthday: date | _Unset | None = UNSET
    gender: Gender | _Unset = UNSET
    tags: list[str] | _Unset = UNSET
    marketing_consent: bool | _Unset = UNSET
    show_on_leaderboard: bool | _Unset = UNSET


def _clean_display_name(value: str | None, errors: list[FieldError]) -> str | None:
    if value is None:
        return None
    name = unicodedata.normalize("NFC", value).strip()
    if not name:
        errors.append(FieldError("displayName", "Display name cannot be empty."))
    elif len(name) > DISPLAY_NAME_MAX:
        errors.append(FieldError("displayName", f"Display name is at most {DISPLAY_NAME_MAX} characters."))
    elif any(unicodedata.category(ch) == "Cc" for ch in name):
        errors.append(FieldError("displayName", "Display name contains control characters."))
    return name


def _clean_avatar_url(value: str | None, errors: list[FieldError]) -> str | None:
    if value is None:
        return None
    url = value.strip()
    try:
        parsed = urlparse(url)
    except ValueError:
        errors.append(FieldError("avatarUrl", "Avatar URL must be an http(s) address."))
        return url
    if len(url) > AVATAR_URL_MAX:
        errors.append(FieldError("avatarUrl", f"Avatar URL is at most {AVATAR_URL_MAX} characters."))
    elif parsed.scheme not in ("https", "http") or not parsed.netloc:
        errors.append(FieldError("avatarUrl", "Avatar URL must be an http(s) address."))
    return url


def _clean_tags(values: list[str], errors: list[FieldError]) -> list[str]:
    tags: list[str] = []
    for raw in values:
        tag = raw.strip()
        if not tag or len(tag) > TAG_MAX_LEN or re.search(r"[\x00-\x1f]", tag):
            errors.append(FieldError("tags", f"Each tag is 1 to {TAG_MAX_LEN} printable characters."))
            return tags
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        errors.append(FieldError("tags", f"At most {TAGS_MAX} tags."))
    return tags


def _check_birthday(member: Member, value: date | None, today: date, errors: list[FieldError]) -> None:
    if value == member.birthday:
        return
    if member.birthday_locked:
        errors.append(
            FieldError("birthday", "Birthday can be set only once; ask member service to correct it.")
        )
    elif value is None:
        errors.append(FieldError("birthday", "Birthday cannot be cleared."))
    elif value > today or value < OLDEST_BIRTHDAY:
        errors.append(FieldError("birthday", "Birthday must be a real date in the past."))


def apply_profile_changes(member: Member, changes: ProfileChanges, today: date) -> Member:
    """Validate every field, then apply all of them or none (raises BadUserInput with each field's error)."""
    errors: list[FieldError] = []
    updated = Member(**{**member.__dict__, "tags": list(member.tags)})
    if changes.display_name is not UNSET:
        updated.display_name = _clean_display_name(changes.display_name, errors)
    if changes.avatar_url is not UNSET:
        updated.avatar_url = _clean_avatar_url(changes.avatar_url, errors)
    if changes.birthday is not UNSET:
        _check_birthday(member, changes.birthday, today, errors)
        if changes.birthday is not None and changes.birthday != member.birthday:
            updated.birthday = changes.birthday
            updated.birthday_locked = True
    if changes.gender is not UNSET:
        if not isinstance(changes.gender, Gender):
            errors.append(FieldError("gender", "Unknown gender value."))
        else:
            updated.gender = changes.gender
    if changes.tags is not UNSET:
        updated.tags = _clean_tags(changes.tags, errors)
    if changes.marketing_consent is not UNSET:
        updated.marketing_consent = bool(changes.marketing_consent)
    if changes.show_on_leaderboard is not UNSET:
        updated.leaderboard_opt_out = not changes.show_on_leaderboard
    if errors:
        raise BadUserInput("Some profile fields are invalid.", errors)
    return updated
