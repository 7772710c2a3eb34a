"""Message templates: per kind, a category, the channels it goes out on by default, and its title and
body in zh-CN and en with `{variable}` placeholders. Plain data, like domain/messages.py: a diff
reviews it, and a test checks every kind has both languages and that its variables are declared."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from domain.errors import BadUserInput
from domain.messages import DEFAULT_LANGUAGE, EN, LANGUAGES, ZH_CN
from domain.messaging.model import MessageCategory, MessageChannel

C = MessageChannel
_ALL = (C.INBOX, C.PUSH, C.MINI_PROGRAM)


@dataclass(frozen=True)
class Template:
    kind: str
    category: MessageCategory
    channels: tuple[MessageChannel, ...]
    variables: tuple[str, ...]
    title: Mapping[str, str]
    body: Mapping[str, str]


def _t(kind: str, category: MessageCategory, channels: tuple[MessageChannel, ...], variables: tuple[str, ...],
       zh: tuple[str, str], en: tuple[str, str]) -> Template:
    return Template(kind, category, channels, variables, {ZH_CN: zh[0], EN: en[0]}, {ZH_CN: zh[1], EN: en[1]})


M, T = MessageCategory.MARKETING, MessageCategory.TRANSACTIONAL
TEMPLATES: dict[str, Template] = {t.kind: t for t in (
    _t("POINTS_EXPIRING", M, _ALL, ("points", "expiresOn"),
       ("积分即将过期", "您有{points}积分将于{expiresOn}过期，快去兑换好礼吧。"),
       ("Points expiring soon", "{points} of your points expire on {expiresOn}. Redeem them before then.")),
    _t("TIER_CHANGED", T, (C.INBOX, C.PUSH), ("tierName",),
       ("会员等级变更", "您的会员等级已变更为{tierName}。"),
       ("Your tier changed", "You are now {tierName}.")),
    _t("COUPON_ISSUED", T, (C.INBOX, C.PUSH), ("couponName",),
       ("优惠券到账", "{couponName}已放入您的卡包。"),
       ("A coupon for you", "{couponName} is in your wallet.")),
    _t("COUPON_EXPIRING", M, _ALL, ("couponName", "expiresOn"),
       ("优惠券即将过期", "您的{couponName}将于{expiresOn}过期。"),
       ("Coupon expiring soon", "Your {couponName} expires on {expiresOn}.")),
    _t("BIRTHDAY", M, _ALL, ("name",),
       ("生日快乐", "{name}，祝您生日快乐！生日礼已为您准备好。"),
       ("Happy birthday", "Happy birthday, {name}! Your birthday gift is waiting.")),
    _t("BIRTHDAY_SOON", M, _ALL, ("name", "days"),
       ("生日将至", "{name}，还有{days}天就是您的生日啦，生日礼正在准备中。"),
       ("Your birthday is coming", "{name}, your birthday is in {days} days: a gift is on its way.")),
    _t("WIN_BACK", M, _ALL, ("couponName",),
       ("好久不见", "我们想您了！送您{couponName}，欢迎回来。"),
       ("We miss you", "Here is {couponName} to welcome you back.")),
    _t("WIN_BACK_REMINDER", M, (C.INBOX, C.PUSH), ("couponName",),
       ("别忘了您的优惠券", "您的{couponName}还未使用，快来店里看看吧。"),
       ("Your coupon is waiting", "Your {couponName} is still unused. Come and see us.")),
    _t("EVENT_STARTING", T, _ALL, ("eventTitle", "startsAt"),
       ("活动即将开始", "您报名的{eventTitle}将于{startsAt}开始。"),
       ("Your event starts soon", "{eventTitle}, which you signed up for, starts at {startsAt}.")),
    _t("BADGE_AWARDED", T, (C.INBOX, C.PUSH), ("badgeName", "badgeNameEn"),
       ("获得新徽章", "恭喜！您获得了「{badgeName}」徽章。"),
       ("New badge", "Congratulations! You earned the {badgeNameEn} badge.")),
    _t("REFERRAL_QUALIFIED", T, (C.INBOX, C.PUSH), ("points",),
       ("邀请奖励到账", "您邀请的好友已完成首购，{points}积分已到账。"),
       ("Referral reward", "Your friend made a first purchase: {points} points are yours.")),
)}


class _Keep(dict[str, object]):
    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def template(kind: str) -> Template:
    found = TEMPLATES.get(kind)
    if found is None:
        raise BadUserInput.for_field("kind", f"Unknown message kind; use one of {', '.join(TEMPLATES)}.")
    return found


def render(kind: str, language: str, variables: Mapping[str, object]) -> tuple[str, str]:
    """(title, body) in the language (the default language when it has none); unknown kinds render as the kind."""
    found = TEMPLATES.get(kind)
    if found is None:
        return kind, ""
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    values = _Keep({k: v for k, v in variables.items() if k in found.variables})
    return found.title[lang].format_map(values), found.body[lang].format_map(values)


def preview(kind: str, language: str, variables: Mapping[str, object]) -> tuple[str, str]:
    """What staff see before a template goes out: unknown kinds and languages are input errors here."""
    template(kind)
    if language not in LANGUAGES:
        raise BadUserInput.for_field("language", f"Use one of {', '.join(LANGUAGES)}.")
    return render(kind, language, variables)
