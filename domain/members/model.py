"""The member aggregate: identity (phone), profile and channel identities."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum

ERASED_PHONE_PREFIX = "erased:"


class Gender(StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    FEMALE = "FEMALE"
    MALE = "MALE"
    OTHER = "OTHER"


class Channel(StrEnum):
    APP_DEVICE = "APP_DEVICE"
    MINI_PROGRAM = "MINI_PROGRAM"
    POS_CARD = "POS_CARD"


@dataclass(frozen=True)
class ChannelIdentity:
    channel: Channel
    external_id: str
    linked_at: datetime


@dataclass
class Member:
    id: int
    phone: str
    member_code: str
    joined_at: datetime
    display_name: str | None = None
    avatar_url: str | None = None
    birthday: date | None = None
    # Set once the member has chosen a birthday; afterwards only staff may change it,
    # because birthday rewards are paid from it.
    birthday_locked: bool = False
    gender: Gender = Gender.UNSPECIFIED
    tags: list[str] = field(default_factory=list)
    marketing_consent: bool = False
    marketing_consent_at: datetime | None = None
    version: int = 1
    leaderboard_opt_out: bool = False

    @property
    def is_erased(self) -> bool:
        """Erasure replaces the phone with a tombstone (see domain/privacy/erasure.py)."""
        return self.phone.startswith(ERASED_PHONE_PREFIX)

    def to_cache(self) -> dict[str, object]:
        data = asdict(self)
        data["joined_at"] = self.joined_at.isoformat()
        data["birthday"] = self.birthday.isoformat() if self.birthday else None
        data["gender"] = self.gender.value
        data["marketing_consent_at"] = (
            self.marketing_consent_at.isoformat() if self.marketing_consent_at else None
        )
        return data

    @classmethod
    def from_cache(cls, data: dict[str, object]) -> Member:
        values = dict(data)
        values["joined_at"] = datetime.fromisoformat(str(values["joined_at"]))
        values["birthday"] = date.fromisoformat(str(values["birthday"])) if values["birthday"] else None
        values["gender"] = Gender(str(values["gender"]))
        consent_at = values["marketing_consent_at"]
        values["marketing_consent_at"] = datetime.fromisoformat(str(consent_at)) if consent_at else None
        return cls(**values)  # type: ignore[arg-type]
