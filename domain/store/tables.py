"""Table definitions. Migrations create them; tests compare the two."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    text,
)

from domain.store.columns import BigId, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

members = Table(
    "members",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("phone", String(20), nullable=False, unique=True),
    Column("member_code", String(12), nullable=False, unique=True),
    Column("display_name", String(30)),
    Column("avatar_url", String(500)),
    Column("birthday", Date),
    Column("birthday_locked", Boolean, nullable=False, server_default=text("false")),
    Column("gender", String(16), nullable=False, server_default="UNSPECIFIED"),
    Column("tags", JSON, nullable=False),
    Column("marketing_consent", Boolean, nullable=False, server_default=text("false")),
    Column("marketing_consent_at", UtcDateTime),
    Column("joined_at", UtcDateTime, nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("leaderboard_opt_out", Boolean, nullable=False, server_default=text("false")),
    Column("referrer_id", BigId, ForeignKey("members.id"), index=True),
)

member_identities = Table(
    "member_identities",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("channel", String(20), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("linked_at", UtcDateTime, nullable=False),
    UniqueConstraint("channel", "external_id", name="uq_member_identities_channel_external_id"),
)

login_codes = Table(
    "login_codes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("phone", String(20), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("consumed_at", UtcDateTime),
    Index("ix_login_codes_phone_created_at", "phone", "created_at"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("family_id", String(32), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("subject_id", BigId, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
)

staff_accounts = Table(
    "staff_accounts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("username", String(40), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("display_name", String(60), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("role", String(20), nullable=False, server_default=text("'HQ_ADMIN'")),
    # Bumped by every change of role, stores or standing: access tokens carry it, and one with an
    # older version is refused at once (domain/auth/admission.py).
    Column("version", Integer, nullable=False, server_default=text("1")),
)

staff_stores = Table(
    "staff_stores",
    metadata,
    Column("staff_id", BigId, ForeignKey("staff_accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("store_id", String(64), primary_key=True),
)

# Shared counters for sign-in abuse (staff password guesses, SMS budgets): in the database, not Redis,
# so every worker sees them and a Redis outage cannot lift them.
throttle_counters = Table(
    "throttle_counters",
    metadata,
    Column("key", String(160), primary_key=True),
    Column("window_start", UtcDateTime, nullable=False),
    Column("count", Integer, nullable=False),
    Column("locked_until", UtcDateTime, nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("actor_role", String(16), nullable=False),
    Column("actor_id", BigId, nullable=False),
    Column("action", String(60), nullable=False),
    Column("target", String(80), nullable=False, index=True),
    Column("detail", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

points_accounts = Table(
    "points_accounts",
    metadata,
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    # Ledger sum, moved in the same transaction as every entry; a test re-derives it.
    Column("balance", BigInteger, nullable=False, server_default=text("0")),
    Column("version", Integer, nullable=False, server_default=text("0")),
    Column("updated_at", UtcDateTime, nullable=False),
)

points_entries = Table(
    "points_entries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("source_type", String(40), nullable=False),
    Column("source_ref", String(200), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("actor_role", String(16)),
    Column("actor_id", BigId),
    Column("details", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("source_type", "idempotency_key", name="uq_points_entries_source_key"),
    Index("ix_points_entries_member_created", "member_id", "created_at", "id"),
)

points_lots = Table(
    "points_lots",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("entry_id", BigId, ForeignKey("points_entries.id"), nullable=False),
    Column("original", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    Column("earned_at", UtcDateTime, nullable=False),
    Column("available_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    CheckConstraint("remaining >= 0 AND remaining <= original", name="remaining_in_range"),
    Index("ix_points_lots_member_open", "member_id", "remaining"),
    Index("ix_points_lots_expires_at", "expires_at"),
)

points_lot_moves = Table(
    "points_lot_moves",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("entry_id", BigId, ForeignKey("points_entries.id"), nullable=False, index=True),
    Column("lot_id", BigId, ForeignKey("points_lots.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
)

purchases = Table(
    "purchases",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("source", String(80), nullable=False),
    Column("order_id", String(64), nullable=False),
    Column("store_id", String(64), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("refunded_cents", BigInteger, nullable=False, server_default=text("0")),
    Column("points_awarded", BigInteger, nullable=False, server_default=text("0")),
    Column("points_reversed", BigInteger, nullable=False, server_default=text("0")),
    Column("shortfall_points", BigInteger, nullable=False, server_default=text("0")),
    Column("entry_id", BigId, ForeignKey("points_entries.id")),
    Column("items", JSON, nullable=False),
    Column("purchased_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("source", "order_id", name="uq_purchases_source_order"),
    Index("ix_purchases_member_purchased", "member_id", "purchased_at"),
    Index("ix_purchases_store_purchased", "store_id", "purchased_at"),  # per-store reports
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("purchase_id", BigId, ForeignKey("purchases.id"), nullable=False),
    Column("refund_id", String(64), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("points_reversed", BigInteger, nullable=False),
    Column("shortfall_points", BigInteger, nullable=False),
    Column("entry_id", BigId, ForeignKey("points_entries.id")),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("purchase_id", "refund_id", name="uq_refunds_purchase_refund"),
)

idempotency_records = Table(
    "idempotency_records",
    metadata,
    Column("scope", String(120), primary_key=True),
    Column("key", String(100), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("result", JSON),
    Column("created_at", UtcDateTime, nullable=False),
)

earning_rules = Table(
    "earning_rules",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(60), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("points_per_100_cents", Integer, nullable=False, server_default=text("0")),
    Column("category", String(40)),
    Column("multiplier_pct", Integer, nullable=False, server_default=text("100")),
    Column("activity", String(30)),
    Column("points", Integer, nullable=False, server_default=text("0")),
    Column("cap", Integer),
    Column("weekdays", JSON, nullable=False),
    Column("month_days", JSON, nullable=False),
    Column("starts_on", Date),
    Column("ends_on", Date),
    Column("updated_at", UtcDateTime, nullable=False),
)

program_settings = Table(
    "program_settings",
    metadata,
    Column("key", String(60), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

tiers = Table(
    "tiers",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(20), nullable=False, unique=True),
    Column("name", String(40), nullable=False),
    Column("rank", Integer, nullable=False, unique=True),
    Column("threshold_cents", BigInteger, nullable=False),
    Column("multiplier_pct", Integer, nullable=False, server_default=text("100")),
    Column("upgrade_reward_points", Integer, nullable=False, server_default=text("0")),
    Column("benefits", JSON, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
)

member_tiers = Table(
    "member_tiers",
    metadata,
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("tier_id", BigId, ForeignKey("tiers.id"), nullable=False),
    Column("achieved_at", UtcDateTime, nullable=False),
    Column("held_until", UtcDateTime, index=True),
    Column("version", Integer, nullable=False, server_default=text("1")),
)

tier_changes = Table(
    "tier_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("from_tier_id", BigId, ForeignKey("tiers.id")),
    Column("to_tier_id", BigId, ForeignKey("tiers.id"), nullable=False),
    Column("reason", String(16), nullable=False),
    Column("spend_cents", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

rewards = Table(
    "rewards",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False),
    Column("description", String(2000), nullable=False, server_default=""),
    Column("category", String(40), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("points_price", BigInteger, nullable=False),
    Column("stock", BigInteger),
    Column("per_member_limit", Integer),
    Column("limit_period", String(8), nullable=False),
    Column("min_tier_rank", Integer, nullable=False, server_default=text("0")),
    Column("valid_from", UtcDateTime),
    Column("valid_until", UtcDateTime),
    Column("voucher_valid_days", Integer, nullable=False),
    Column("image_urls", JSON, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
    Index("ix_rewards_price", "points_price", "id"),
)

redemptions = Table(
    "redemptions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("reward_id", BigId, ForeignKey("rewards.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("points_spent", BigInteger, nullable=False),
    Column("voucher_code", String(16), nullable=False, unique=True),
    Column("status", String(12), nullable=False),
    Column("entry_id", BigId, ForeignKey("points_entries.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
    Column("cancelled_at", UtcDateTime),
    Column("used_store_id", String(64)),  # where staff accepted the voucher (null: before stores were recorded)
    Index("ix_redemptions_member_reward", "member_id", "reward_id", "created_at"),
)

coupon_templates = Table(
    "coupon_templates",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("value_cents", BigInteger, nullable=False, server_default=text("0")),
    Column("percent", Integer, nullable=False, server_default=text("0")),
    Column("cap_cents", BigInteger),
    Column("min_spend_cents", BigInteger, nullable=False, server_default=text("0")),
    Column("categories", JSON, nullable=False),
    Column("stores", JSON, nullable=False),
    Column("valid_from", UtcDateTime),
    Column("valid_until", UtcDateTime),
    Column("valid_days", Integer),
    Column("per_member_limit", Integer),
    Column("total_quantity", BigInteger),
    Column("issued_count", BigInteger, nullable=False, server_default=text("0")),
    Column("claimable", Boolean, nullable=False, server_default=text("false")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("total_quantity IS NULL OR issued_count <= total_quantity", name="not_over_issued"),
)

coupons = Table(
    "coupons",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("template_id", BigId, ForeignKey("coupon_templates.id"), nullable=False),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("code", String(16), nullable=False, unique=True),
    Column("status", String(12), nullable=False),
    Column("source", String(16), nullable=False),
    Column("issue_key", String(200), nullable=False, unique=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("valid_from", UtcDateTime, nullable=False),
    Column("valid_until", UtcDateTime, nullable=False),
    Column("redeemed_at", UtcDateTime),
    Column("order_ref", String(200), unique=True),
    Column("discount_cents", BigInteger),
    Index("ix_coupons_member_template", "member_id", "template_id"),
)

check_ins = Table(
    "check_ins",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("day", Date, nullable=False),
    Column("points", Integer, nullable=False),
    Column("makeup", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("member_id", "day", name="uq_check_ins_member_day"),
)

groups = Table(
    "groups",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(40), nullable=False, unique=True),
    Column("description", String(500), nullable=False, server_default=""),
    Column("min_tier_rank", Integer, nullable=False, server_default=text("0")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UtcDateTime, nullable=False),
)

group_members = Table(
    "group_members",
    metadata,
    Column("group_id", BigId, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("joined_at", UtcDateTime, nullable=False),
    Index("ix_group_members_member", "member_id"),
)

posts = Table(
    "posts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("author_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("group_id", BigId, ForeignKey("groups.id")),
    Column("body", String(2000), nullable=False),
    Column("image_urls", JSON, nullable=False),
    Column("linked_reward_id", BigId, ForeignKey("rewards.id")),
    Column("like_count", Integer, nullable=False, server_default=text("0")),
    Column("comment_count", Integer, nullable=False, server_default=text("0")),
    Column("status", String(10), nullable=False),
    Column("moderation_reason", String(200)),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_posts_status_created", "status", "created_at", "id"),
    Index("ix_posts_group_created", "group_id", "created_at", "id"),
    Index("ix_posts_author_created", "author_id", "created_at", "id"),
)

comments = Table(
    "comments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("post_id", BigId, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("author_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("parent_id", BigId, ForeignKey("comments.id")),
    Column("body", String(500), nullable=False),
    Column("status", String(10), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

post_likes = Table(
    "post_likes",
    metadata,
    Column("post_id", BigId, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
)

reports = Table(
    "reports",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("target", String(10), nullable=False),
    Column("target_id", BigId, nullable=False),
    Column("reporter_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("target", "target_id", "reporter_id", name="uq_reports_once_per_reporter"),
)

events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("title", String(80), nullable=False),
    Column("description", String(2000), nullable=False, server_default=""),
    Column("capacity", Integer, nullable=False),
    Column("signed_up", Integer, nullable=False, server_default=text("0")),
    Column("min_tier_rank", Integer, nullable=False, server_default=text("0")),
    Column("attendance_points", Integer, nullable=False, server_default=text("0")),
    Column("signup_opens_at", UtcDateTime, nullable=False),
    Column("signup_closes_at", UtcDateTime, nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("signed_up >= 0 AND signed_up <= capacity", name="not_overbooked"),
)

event_signups = Table(
    "event_signups",
    metadata,
    Column("event_id", BigId, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("status", String(12), nullable=False),
    Column("checkin_code", String(16), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

partners = Table(
    "partners",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False),
    Column("client_id", String(40), nullable=False, unique=True),
    Column("secret_hashes", JSON, nullable=False),
    Column("partner_units", Integer, nullable=False),
    Column("program_points", Integer, nullable=False),
    Column("daily_earn_cap", BigInteger, nullable=False),
    Column("daily_burn_cap", BigInteger, nullable=False),
    Column("operations", JSON, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("tokens_valid_after", UtcDateTime),  # tokens issued before it are refused (secrets revoked)
)

partner_links = Table(
    "partner_links",
    metadata,
    Column("partner_id", BigId, ForeignKey("partners.id"), primary_key=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("member_ref", String(40), nullable=False, unique=True),
    Column("share_phone", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("linked_at", UtcDateTime, nullable=False),
)

partner_auth_codes = Table(
    "partner_auth_codes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("partner_id", BigId, ForeignKey("partners.id"), nullable=False),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("max_points", BigInteger, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime),
)

partner_transactions = Table(
    "partner_transactions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("partner_id", BigId, ForeignKey("partners.id"), nullable=False),
    Column("txn_id", String(80), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("partner_amount", BigInteger, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("entry_id", BigId, ForeignKey("points_entries.id")),
    Column("reversed", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("partner_id", "txn_id", name="uq_partner_transactions_partner_txn"),
    Index("ix_partner_transactions_partner_created", "partner_id", "created_at"),
)

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("partner_id", BigId, ForeignKey("partners.id")),
    Column("url", String(500), nullable=False),
    Column("secret", String(80), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", UtcDateTime, nullable=False),
)

outbox_events = Table(
    "outbox_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_type", String(40), nullable=False),
    Column("partner_id", BigId, ForeignKey("partners.id")),
    Column("payload", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", BigId, ForeignKey("outbox_events.id"), nullable=False),
    Column("subscription_id", BigId, ForeignKey("webhook_subscriptions.id"), nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_status", Integer),
    Column("last_error", String(300)),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("payload", JSON),  # a partner's consent-filtered view of the event; null: the event's own
    UniqueConstraint("event_id", "subscription_id", name="uq_webhook_deliveries_event_subscription"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)

surveys = Table(
    "surveys",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("question", String(300), nullable=False),
    Column("allow_comment", Boolean, nullable=False, server_default=text("false")),
    Column("trigger", String(16), nullable=False),
    Column("purchase_within_days", Integer),
    Column("store_ids", JSON, nullable=False),
    Column("event_id", BigId, ForeignKey("events.id")),
    Column("points", Integer, nullable=False, server_default=text("0")),
    Column("state", String(12), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_surveys_state_ends", "state", "ends_at"),
)

survey_answers = Table(
    "survey_answers",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("survey_id", BigId, ForeignKey("surveys.id"), nullable=False),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("score", Integer, nullable=False),
    Column("comment", String(1000)),
    Column("tier_id", BigId, ForeignKey("tiers.id")),
    Column("store_id", String(64)),
    Column("points_awarded", Integer, nullable=False, server_default=text("0")),
    Column("idempotency_key", String(100), nullable=False),
    Column("answered_at", UtcDateTime, nullable=False),
    UniqueConstraint("survey_id", "member_id", name="uq_survey_answers_survey_member"),
    # Covers the results query, so PostgreSQL can tally from the index alone.
    Index("ix_survey_answers_tally", "survey_id", "tier_id", "store_id", "score"),
)
member_consents = Table(
    "member_consents",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("source", String(40), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_member_consents_member_kind", "member_id", "kind", "id"),
)

# The member's own actions (partner links, consents) are audited with the member as actor.
Index("ix_audit_log_actor", audit_log.c.actor_role, audit_log.c.actor_id, audit_log.c.id)
member_rfm = Table(
    "member_rfm",
    metadata,
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("window_days", Integer, primary_key=True),
    Column("last_purchase_at", UtcDateTime, nullable=False),
    Column("recency_days", Integer, nullable=False),
    Column("frequency", Integer, nullable=False),
    Column("monetary_cents", BigInteger, nullable=False),
    Column("previous_monetary_cents", BigInteger, nullable=False),
    Column("trend_bp", BigInteger),
    # 0 until the job's ranking step has run over this row.
    Column("r_score", Integer, nullable=False, server_default=text("0")),
    Column("f_score", Integer, nullable=False, server_default=text("0")),
    Column("m_score", Integer, nullable=False, server_default=text("0")),
    Column("top_categories", JSON, nullable=False),
    Column("computed_at", UtcDateTime, nullable=False),
    Index("ix_member_rfm_window_scores", "window_days", "r_score", "f_score", "m_score"),
)

member_lifecycle = Table(
    "member_lifecycle",
    metadata,
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("stage", String(10), nullable=False),
    Column("since", UtcDateTime, nullable=False),
    Column("last_purchase_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_member_lifecycle_stage", "stage", "member_id"),
)

lifecycle_changes = Table(
    "lifecycle_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("from_stage", String(10)),
    Column("to_stage", String(10), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_lifecycle_changes_member_created", "member_id", "created_at", "id"),
)
# Program-wide reports (domain/kpis) read each table by a time range across all members; without
# these every report scans whole tables (bench.kpis --compare-indexes).
Index("ix_members_joined_at", members.c.joined_at)
Index("ix_check_ins_created_at", check_ins.c.created_at)
Index("ix_posts_created_at", posts.c.created_at)
Index("ix_comments_created_at", comments.c.created_at)
Index("ix_redemptions_created_at", redemptions.c.created_at)
Index("ix_tier_changes_created_at", tier_changes.c.created_at)

# Cached entries whose write-through was lost to a Redis outage, with the version they must reach.
# Shared by every worker (domain/store/cache.py): whoever next renews the cache's trust lease
# fences these entries in Redis first, so no worker serves a copy older than an acknowledged write.
cache_repairs = Table(
    "cache_repairs",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# The member service log: complaints and after-sales cases, and the notes staff add to them.
service_cases = Table(
    "service_cases",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("subject", String(120), nullable=False),
    Column("status", String(16), nullable=False),
    Column("owner_id", BigId, ForeignKey("staff_accounts.id")),
    Column("store_id", String(64)),
    Column("opened_by", BigId, ForeignKey("staff_accounts.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_service_cases_member_created", "member_id", "created_at", "id"),
    Index("ix_service_cases_owner_created", "owner_id", "created_at", "id"),
)

service_case_notes = Table(
    "service_case_notes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", BigId, ForeignKey("service_cases.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", BigId, ForeignKey("staff_accounts.id"), nullable=False),
    Column("body", String(2000), nullable=False),
    Column("status", String(16)),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_service_case_notes_case", "case_id", "id"),
)
