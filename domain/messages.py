"""The message catalogue: what a member reads for each error code, in zh-CN and en.

Plain data on purpose (no gettext, no ICU): about thirty short sentences in two languages do
not pay for a translation toolchain, and a dict is reviewed in a diff and checked by a test
(every code has every language). Keys are an error code, or `CODE.key` where one code has
several messages (the key is the error's `key`, else its `reason` detail). `{name}` placeholders
are filled from the error's `extensions` (e.g. `retryAfterSeconds`).
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.error_codes import ErrorCode

ZH_CN = "zh-CN"
EN = "en"
LANGUAGES = (ZH_CN, EN)
DEFAULT_LANGUAGE = ZH_CN

C = ErrorCode
MESSAGES: dict[str, dict[str, str]] = {
    C.BAD_REQUEST: {ZH_CN: "请求格式有误。", EN: "The request is malformed."},
    C.BAD_USER_INPUT: {ZH_CN: "填写的内容有误，请检查后重试。", EN: "Some input is invalid; check it and try again."},
    f"{C.BAD_USER_INPUT}.wrong_login_code": {
        ZH_CN: "验证码错误或已过期，请重新获取。", EN: "The code is wrong or has expired; request a new one."},
    C.UNAUTHENTICATED: {ZH_CN: "请先登录。", EN: "Sign in first."},
    f"{C.UNAUTHENTICATED}.TOKEN_EXPIRED": {
        ZH_CN: "登录已过期，请刷新会话。", EN: "The access token has expired; refresh the session."},
    f"{C.UNAUTHENTICATED}.INVALID_TOKEN": {ZH_CN: "登录凭证无效，请重新登录。", EN: "The access token is not valid."},
    f"{C.UNAUTHENTICATED}.ACCOUNT_ERASED": {ZH_CN: "该账户已注销。", EN: "This account was erased."},
    f"{C.UNAUTHENTICATED}.ACCOUNT_DEACTIVATED": {ZH_CN: "该员工账号已停用。",
                                                 EN: "This staff account was deactivated."},
    f"{C.UNAUTHENTICATED}.TOKEN_REVOKED": {ZH_CN: "该凭证已被撤销，请重新获取。",
                                           EN: "This token was revoked; fetch a new one."},
    f"{C.UNAUTHENTICATED}.TOKEN_OUTDATED": {ZH_CN: "账号权限已变更，请刷新会话。",
                                            EN: "This staff account changed; refresh the session."},
    C.FORBIDDEN: {ZH_CN: "您没有权限进行此操作。", EN: "You may not do this."},
    C.NOT_FOUND: {ZH_CN: "内容不存在或已删除。", EN: "Not found."},
    C.CONFLICT: {ZH_CN: "内容已变更，请刷新后重试。", EN: "This changed meanwhile; reload and try again."},
    C.IDEMPOTENCY_CONFLICT: {ZH_CN: "该请求编号已用于其他操作。",
                             EN: "This request key was already used for another request."},
    C.RATE_LIMITED: {ZH_CN: "操作太频繁，请{retryAfterSeconds}秒后再试。",
                     EN: "Too many attempts; try again in {retryAfterSeconds} seconds."},
    C.INSUFFICIENT_POINTS: {ZH_CN: "积分不足。", EN: "Not enough points."},
    C.LIMIT_EXCEEDED: {ZH_CN: "已达到次数上限。", EN: "The limit has been reached."},
    f"{C.LIMIT_EXCEEDED}.entitlement_quota": {
        ZH_CN: "本期{kind}额度不足，剩余{remaining}。",
        EN: "Not enough of this perk left this period ({remaining} left)."},
    C.OUT_OF_STOCK: {ZH_CN: "已抢光啦。", EN: "None left."},
    C.NOT_ELIGIBLE: {ZH_CN: "您暂不符合参与条件。", EN: "You are not eligible for this."},
    f"{C.NOT_ELIGIBLE}.entitlement_not_in_tier": {
        ZH_CN: "当前会员等级不包含{kind}权益。", EN: "The member's tier does not include this perk."},
    C.VOUCHER_NOT_USABLE: {ZH_CN: "该兑换券不可用。", EN: "This voucher cannot be used."},
    C.POINTS_PAYMENT_NOT_OPEN: {ZH_CN: "该笔积分抵扣已结束（已扣除、已释放或已超时）。",
                                EN: "This points payment is no longer on hold."},
    C.COUPON_NOT_USABLE: {ZH_CN: "该优惠券不可用。", EN: "This coupon cannot be used."},
    f"{C.COUPON_NOT_USABLE}.not_shareable": {ZH_CN: "该优惠券不能转赠。",
                                             EN: "This coupon cannot be given to a friend."},
    f"{C.COUPON_NOT_USABLE}.own_share": {ZH_CN: "不能领取自己转赠的优惠券。", EN: "This is your own coupon."},
    C.EVENT_FULL: {ZH_CN: "活动名额已满。", EN: "This event is full."},
    C.IDENTITY_ALREADY_LINKED: {ZH_CN: "该账号已绑定其他会员。",
                                EN: "This identity is already linked to another member."},
    C.ALREADY_ANSWERED: {ZH_CN: "您已参与过该问卷。", EN: "You have already answered this survey."},
    C.CONTENT_REJECTED: {ZH_CN: "内容包含不允许的词语，请修改后再发布。",
                         EN: "This text contains words the community does not allow."},
    C.GRAPHQL_PARSE_FAILED: {ZH_CN: "查询语法有误。", EN: "The GraphQL document cannot be parsed."},
    C.GRAPHQL_VALIDATION_FAILED: {ZH_CN: "查询与接口定义不符。",
                                  EN: "The GraphQL document is not valid for this schema."},
    C.PERSISTED_QUERY_NOT_FOUND: {ZH_CN: "PersistedQueryNotFound", EN: "PersistedQueryNotFound"},
    C.PERSISTED_QUERY_NOT_ALLOWED: {ZH_CN: "该查询不在受信任列表中。",
                                    EN: "This document is not among the trusted documents."},
    C.SERVICE_UNAVAILABLE: {ZH_CN: "服务繁忙，请稍后再试。", EN: "The service is busy; try again shortly."},
    C.INTERNAL_SERVER_ERROR: {ZH_CN: "系统开小差了，请稍后再试。如需联系客服，请提供请求编号。",
                              EN: "Something went wrong on our side. Quote the request id if you contact support."},
}


class _Keep(dict[str, object]):
    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def message(code: str, language: str, key: str | None = None, values: Mapping[str, object] | None = None) -> str:
    """The catalogue text for a code (and key, when the catalogue has one) in a supported language."""
    entry = (key and MESSAGES.get(f"{code}.{key}")) or MESSAGES.get(code) or MESSAGES[ErrorCode.BAD_REQUEST]
    text = entry.get(language) or entry[DEFAULT_LANGUAGE]
    return text.format_map(_Keep(values or {}))


def has_entry(code: str, key: str | None) -> bool:
    return bool(key) and f"{code}.{key}" in MESSAGES


# Tier progress (domain/tiers/progress_text.py): "¥8,000 more, or 3 more purchases to reach Gold".
TIER_PROGRESS_TEXT: dict[str, dict[str, str]] = {
    ZH_CN: {"SPEND": "再消费{amount}", "PURCHASES": "再购物{amount}次", "TIER_POINTS": "再获得{amount}定级积分",
            "any": "，或", "all": "，并且", "sentence": "{parts}即可升级为{tier}"},
    EN: {"SPEND": "{amount} more", "PURCHASES": "{amount} more purchases", "TIER_POINTS": "{amount} more tier points",
         "any": ", or ", "all": " and ", "sentence": "{parts} to reach {tier}"},
}
