"""Demo data for a fresh install: a few members with profiles and identities, and one operator."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

from api.container import Container
from api.progress import ProgressBar
from domain.auth.login import new_member_code
from domain.auth.staff import create_staff
from domain.auth.viewer import Role, Viewer
from domain.benefits.model import LimitPeriod, Reward, RewardKind
from domain.benefits.services import save_reward
from domain.community.model import Group
from domain.community.services import AddComment, CreatePost, comment, create_post, save_group
from domain.entitlements.model import EntitlementKind, EntitlementPeriod
from domain.entitlements.quotes import set_coupon_stacking
from domain.entitlements.services import GrantSpec, SetTierEntitlements, save_kind, set_tier_entitlements
from domain.errors import Conflict
from domain.gamification.badges import STANDARD_BADGES, save_badge
from domain.gamification.challenges import save_challenge
from domain.gamification.draws import create_draw
from domain.gamification.model import Challenge, ChallengeGoal, Draw, Prize, PrizeKind
from domain.meetups.model import Meetup
from domain.meetups.services import save_event, sign_up
from domain.members.lookup import MemberRef
from domain.members.model import Channel, Gender
from domain.offers.model import CouponKind, CouponTemplate
from domain.offers.services import IssueToSegment, Segment, issue_to_segment, save_template
from domain.points.purchases import PurchaseCommand, record_purchase
from domain.points.rules import Activity, EarningRule, LineItem, RuleKind
from domain.program.services import save_rule, update_settings
from domain.segments.job import compute_segments
from domain.surveys.model import Survey, SurveyKind, SurveyTrigger
from domain.surveys.services import publish_survey, save_survey
from domain.tiers.model import Tier
from domain.tiers.services import list_tiers, save_tier

DEMO_STAFF = ("demo-operator", "demo-operator-password")
DEMO_MEMBERS = [
    ("+8613800138000", "林薇", date(1990, 5, 17), Gender.FEMALE, ["coffee", "fashion"], "wx-openid-linwei"),
    ("+8613900139000", "张敏", date(1985, 11, 2), Gender.MALE, ["electronics"], "wx-openid-zhangmin"),
    ("+8613700137000", "陈静", date(1995, 1, 23), Gender.FEMALE, ["beauty", "dining"], None),
]


async def seed_demo(container: Container, extra_members: int = 0) -> None:
    """Idempotent: members are matched by phone, the operator by username."""
    now = container.now()
    bar = ProgressBar(len(DEMO_MEMBERS) + extra_members, "seeding members")
    async with container.uow() as uow:
        for phone, name, birthday, gender, tags, openid in DEMO_MEMBERS:
            member, created = await uow.members.get_or_create(phone, new_member_code(), now)
            if created:
                member.display_name, member.birthday, member.birthday_locked = name, birthday, True
                member.gender, member.tags = gender, tags
                member.marketing_consent, member.marketing_consent_at = True, now
                await uow.members.save_profile(member)
                if openid:
                    await uow.members.claim_identity(member.id, Channel.MINI_PROGRAM, openid, now)
                await uow.members.claim_identity(member.id, Channel.POS_CARD, f"CARD{member.id:08d}", now)
            bar.advance()
        for i in range(extra_members):
            await uow.members.get_or_create(f"+86166{i:08d}", new_member_code(), now)
            bar.advance()
        await uow.commit()
    with contextlib.suppress(Conflict):
        await create_staff(container.uow(), DEMO_STAFF[0], DEMO_STAFF[1], "演示运营", now)
    await _seed_program(container)
    # Stages and RFM scores, so memberSegment and memberInsights show something before the nightly job.
    await compute_segments(container.uow, container.now())


DEMO_TIERS = [
    Tier(0, "BASE", "普通会员", 0, 0, 100, 0, ["生日券"]),
    Tier(0, "GOLD", "金卡", 1, 5_000_000, 125, 500, ["免费停车 2 小时", "生日券"]),
    Tier(0, "PLATINUM", "白金卡", 2, 10_000_000, 150, 1_000, ["免费停车 4 小时", "VIP 专属通道"]),
    Tier(0, "DIAMOND", "钻石卡", 3, 20_000_000, 200, 2_000, ["全天免费停车", "私人购物顾问"]),
]
DEMO_RULES = [
    EarningRule(0, RuleKind.BASE_RATE, "每消费 1 元得 1 积分", points_per_100_cents=1),
    EarningRule(0, RuleKind.CATEGORY, "美妆双倍积分", category="beauty", multiplier_pct=200, cap=5_000),
    EarningRule(0, RuleKind.CAMPAIGN, "会员日（每月 8 日）双倍积分", multiplier_pct=200, month_days=(8,)),
    EarningRule(0, RuleKind.ACTIVITY, "每日签到", activity=Activity.CHECK_IN, points=10, cap=10),
]
DEMO_PURCHASES = [  # phone, order, yuan, category
    ("+8613800138000", "DEMO-1001", 38_800, "fashion"),
    ("+8613800138000", "DEMO-1002", 16_500, "beauty"),
    ("+8613900139000", "DEMO-2001", 2_990, "dining"),
    ("+8613700137000", "DEMO-3001", 860, "beauty"),  # every demo member has points to spend
]


DEMO_REWARDS = [
    Reward(0, "星巴克中杯拿铁", "dining", RewardKind.COUPON, 300, stock=500, per_member_limit=2,
           limit_period=LimitPeriod.MONTH),
    Reward(0, "2 小时免费停车", "parking", RewardKind.COUPON, 200),
    Reward(0, "品牌帆布包", "goods", RewardKind.GOODS, 1_500, stock=50),
    Reward(0, "双人电影票", "experience", RewardKind.EXPERIENCE, 4_000, stock=20, min_tier_rank=1),
    Reward(0, "公益植树一棵", "charity", RewardKind.DONATION, 100),
    # Points + cash: 800 points and ¥49, the cash part paid in the app (paymentReference).
    Reward(0, "小米充电宝（积分+现金）", "goods", RewardKind.GOODS, 800, stock=100, cash_price_cents=4_900),
]
DEMO_WELCOME = CouponTemplate(0, "新人礼：9 折（最高减 ¥50）", CouponKind.PERCENT_OFF, percent=10, cap_cents=5_000,
                              valid_days=30)
DEMO_CLAIMABLE = CouponTemplate(0, "周末满300减50", CouponKind.SPEND_AND_SAVE, value_cents=5_000,
                                min_spend_cents=30_000, valid_days=14, total_quantity=1_000, claimable=True)
# Sent to every demo member, so the wallet shows each coupon kind (the welcome coupon is PERCENT_OFF).
DEMO_WALLET = [
    CouponTemplate(0, "餐饮立减 ¥20", CouponKind.CASH_OFF, value_cents=2_000, categories=["dining"], valid_days=30),
    CouponTemplate(0, "满200减30", CouponKind.SPEND_AND_SAVE, value_cents=3_000, min_spend_cents=20_000,
                   valid_days=30),
    CouponTemplate(0, "咖啡买一送一", CouponKind.BUY_ONE_GET_ONE, categories=["coffee"], valid_days=14),
    CouponTemplate(0, "免费甜品（价值 ¥38 以内）", CouponKind.FREE_ITEM, value_cents=3_800, categories=["dessert"],
                   valid_days=14),
    CouponTemplate(0, "美妆 85 折（最高减 ¥100）", CouponKind.PERCENT_OFF, percent=15, cap_cents=10_000,
                   categories=["beauty"], valid_days=30),
]
DEMO_GROUPS = [Group(0, "咖啡爱好者", "聊咖啡豆、冲煮和商场里最好看的拉花。"),
               Group(0, "金卡会员厅", "金卡及以上会员专属：新品预览和优先购。", min_tier_rank=1)]
DEMO_POSTS = [  # author phone, group index or None, body, comments (author phone, body)
    ("+8613800138000", 0, "试了二楼新出的燕麦澳白，值得一试！",
     [("+8613900139000", "同意，而且豆子是云南的。"), ("+8613700137000", "明天就去！")]),
    ("+8613900139000", None, "停车小贴士：周末 B2 入口从来不满。",
     [("+8613800138000", "谢谢，帮我省了 20 分钟。")]),
    ("+8613800138000", 1, "下周五金卡新品预览夜，谁一起去？", []),
    ("+8613700137000", None, "会员日的护肤品战利品，双倍积分！",
     [("+8613800138000", "美妆双倍积分最划算。")]),
]


async def _seed_program(container: Container) -> None:
    """Tiers, earning rules and a few purchases, unless the program is already configured."""
    if await list_tiers(container.uow()):
        return
    operator = Viewer(Role.STAFF, 0)
    now = container.now()
    for tier in DEMO_TIERS:
        await save_tier(container.uow(), operator, tier)
    await _seed_entitlements(container, operator)
    for rule in DEMO_RULES:
        await save_rule(container.uow(), operator, rule, now)
    for reward in DEMO_REWARDS:
        await save_reward(container.uow(), operator, reward, now)
    welcome = await save_template(container.uow(), operator, DEMO_WELCOME, now)
    await save_template(container.uow(), operator, DEMO_CLAIMABLE, now)
    await update_settings(container.uow(), operator, {"welcome_coupon_template_id": welcome.id}, now)
    for phone, order_id, yuan, category in DEMO_PURCHASES:
        cmd = PurchaseCommand(MemberRef(phone=phone), order_id, "DEMO-STORE", yuan * 100,
                              [LineItem(category, yuan * 100)], now - timedelta(days=10))
        await record_purchase(cmd, container.deps(operator))
    await _seed_screens(container, operator)
    survey = await save_survey(container.uow(), operator, Survey(
        0, SurveyKind.NPS, "您有多大可能向朋友推荐我们？", SurveyTrigger.AFTER_PURCHASE,
        now, now + timedelta(days=90), allow_comment=True, purchase_within_days=30, points=20), now)
    await publish_survey(container.uow(), operator, survey.id, now)
    await _seed_games(container, operator)


async def _seed_games(container: Container, operator: Viewer) -> None:
    """The standard badges, a month-long challenge and an open points draw (积分抽奖)."""
    deps = container.deps(operator)
    now = container.now()
    for badge in STANDARD_BADGES:
        await save_badge(badge, deps)
    await save_challenge(Challenge(0, "本月逛街 3 次", "本月内消费 3 笔，即得 300 积分。", ChallengeGoal.PURCHASES,
                                   3, 300, now - timedelta(days=1), now + timedelta(days=30)), deps)
    await save_challenge(Challenge(0, "连续签到 7 天", "7 天内每天签到，即得 100 积分。", ChallengeGoal.CHECKIN_DAYS,
                                   7, 100, now - timedelta(hours=1), now + timedelta(days=7)), deps)
    await create_draw(Draw(0, "双12积分抽奖", 100, 20, "", now - timedelta(hours=1), now + timedelta(days=14), [
        Prize(0, 0, "500 积分", PrizeKind.POINTS, 500, 1_000, 200, 200),
        Prize(0, 1, "品牌保温杯", PrizeKind.GOODS, 0, 300, 50, 50),
        Prize(0, 2, "50 积分", PrizeKind.POINTS, 50, 4_000, 5_000, 5_000),
    ], ""), deps)




# Tier perks as entitlements: kind (code, 中文名, English name, 单位, unit) and per tier (code, quota, period).
DEMO_ENTITLEMENT_KINDS = [
    EntitlementKind(0, "PARKING_HOURS", "免费停车", "Free parking", "小时", "hours"),
    EntitlementKind(0, "LOUNGE_VISIT", "贵宾休息室", "VIP lounge", "次", "visits"),
    EntitlementKind(0, "GIFT_WRAP", "礼品包装", "Gift wrapping", "次", "times"),
    EntitlementKind(0, "PERSONAL_SHOPPER", "私人购物顾问", "Personal shopper", "次", "sessions"),
    EntitlementKind(0, "MEMBER_PRICE", "会员价", "Member price", "%", "%"),
]
DEMO_TIER_ENTITLEMENTS = {
    "GOLD": [GrantSpec("PARKING_HOURS", 2, EntitlementPeriod.DAY), GrantSpec("GIFT_WRAP", 2, EntitlementPeriod.MONTH)],
    "PLATINUM": [GrantSpec("PARKING_HOURS", 3, EntitlementPeriod.DAY),
                 GrantSpec("LOUNGE_VISIT", 1, EntitlementPeriod.MONTH),
                 GrantSpec("GIFT_WRAP", 4, EntitlementPeriod.MONTH),
                 GrantSpec("MEMBER_PRICE", None, None, 3, ("美妆",))],
    "DIAMOND": [GrantSpec("PARKING_HOURS", 4, EntitlementPeriod.DAY),
                GrantSpec("LOUNGE_VISIT", 2, EntitlementPeriod.MONTH),
                GrantSpec("GIFT_WRAP", None, None),
                GrantSpec("PERSONAL_SHOPPER", 1, EntitlementPeriod.MONTH),
                GrantSpec("MEMBER_PRICE", None, None, 5, ("美妆", "服饰"))],
}


async def _seed_entitlements(container: Container, operator: Viewer) -> None:
    deps = container.deps(operator)
    for kind in DEMO_ENTITLEMENT_KINDS:
        await save_kind(kind, deps)
    tiers = {t.code: t.id for t in await list_tiers(container.uow())}
    for code, grants in DEMO_TIER_ENTITLEMENTS.items():
        await set_tier_entitlements(SetTierEntitlements(tiers[code], grants), container.deps(operator))
    # Percent-off coupons do not stack on member prices; cash and spend-and-save coupons do.
    await set_coupon_stacking([CouponKind.CASH_OFF, CouponKind.SPEND_AND_SAVE, CouponKind.BUY_ONE_GET_ONE,
                               CouponKind.FREE_ITEM], container.deps(operator))


async def _seed_screens(container: Container, operator: Viewer) -> None:
    """Wallet coupons of each kind, groups (one tier-limited), posts with comments and an upcoming
    event with sign-ups, so every member screen has something to show."""
    now = container.now()
    async with container.uow() as uow:
        ids = {phone: await uow.members.get_by_phone(phone) for phone, *_ in DEMO_MEMBERS}
    member_ids = {phone: m.id for phone, m in ids.items() if m is not None}
    members = {phone: Viewer(Role.MEMBER, member_id) for phone, member_id in member_ids.items()}
    for template in DEMO_WALLET:
        saved = await save_template(container.uow(), operator, template, now)
        await issue_to_segment(IssueToSegment(saved.id, Segment(member_ids=list(member_ids.values())),
                                              f"demo-wallet-{saved.id}"), container.deps(operator))
    groups = [await save_group(container.uow(), operator, g, now) for g in DEMO_GROUPS]
    for author, group_index, body, comments in DEMO_POSTS:
        group_id = groups[group_index].id if group_index is not None else None
        post = await create_post(CreatePost(body, [], group_id), container.deps(members[author]))
        for commenter, text in comments:
            await comment(AddComment(post.id, text), container.deps(members[commenter]))
    event = await save_event(container.uow(), operator, Meetup(
        0, "秋季咖啡品鉴会", 30, now + timedelta(days=10), now - timedelta(days=1), now + timedelta(days=9),
        "与首席咖啡师一起品尝五款单一产地咖啡。到场会员可得 50 积分。",
        attendance_points=50), now)
    for phone in ("+8613800138000", "+8613700137000"):
        await sign_up(container.uow(), members[phone], event.id, now)
