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

# Row keys of bulk imports (import-members): a key recorded here is skipped by later runs.
member_imports = Table(
    "member_imports",
    metadata,
    Column("row_key", String(100), primary_key=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("imported_at", UtcDateTime, nullable=False),
)

# Member merges (mergeMembers): final, one row per merged member (unique), kept as the record of
# what moved; the merged member's row stays (the ledger points at it) with nothing left in it.
member_merges = Table(
    "member_merges",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kept_member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("merged_member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("staff_id", BigId, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("moved", JSON, nullable=False),
    Column("merged_at", UtcDateTime, nullable=False),
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
    # Points of `remaining` an open points-payment hold reserves (points_hold_lots): still the
    # member's (in the ledger and the balance total) but spendable by nothing but that hold's capture.
    Column("held", BigInteger, nullable=False, server_default=text("0")),
    CheckConstraint("remaining >= 0 AND remaining <= original", name="remaining_in_range"),
    Index("ix_points_lots_member_open", "member_id", "remaining"),
    Index("ix_points_lots_expires_at", "expires_at"),
    # A member's open lots oldest first, with what the balance split and a debit read (migration 0022).
    Index("ix_points_lots_open_totals", "member_id", "earned_at", "id",
          postgresql_include=["remaining", "available_at", "expires_at"],
          postgresql_where=text("remaining > 0"), sqlite_where=text("remaining > 0")),
)

# Points as payment: one hold per order (source = "store:<id>", as purchases), HELD until captured
# (a ledger debit, entry_id), released, or expired by release_expired_holds.
points_holds = Table(
    "points_holds",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("source", String(80), nullable=False),
    Column("order_id", String(64), nullable=False),
    Column("store_id", String(64), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("covers_cents", BigInteger, nullable=False),
    Column("order_cents", BigInteger, nullable=False),
    Column("status", String(12), nullable=False),
    Column("entry_id", BigId, ForeignKey("points_entries.id")),
    Column("points_refunded", BigInteger, nullable=False, server_default=text("0")),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("source", "order_id", name="uq_points_holds_source_order"),
    Index("ix_points_holds_status_expires", "status", "expires_at"),
    Index("ix_points_holds_member", "member_id"),
)

points_hold_lots = Table(
    "points_hold_lots",
    metadata,
    Column("hold_id", BigId, ForeignKey("points_holds.id", ondelete="CASCADE"), primary_key=True),
    Column("lot_id", BigId, ForeignKey("points_lots.id"), primary_key=True),
    Column("amount", BigInteger, nullable=False),
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
    # Both nullable (migration 0020 on a big table): null channel is POS, null quantity one unit per line.
    Column("channel", String(16)),
    Column("item_quantity", BigInteger),
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
    # Qualification paths besides spend (migration 0017): null is "not a path".
    Column("min_purchases", Integer),
    Column("min_tier_points", BigInteger),
    Column("qualify_mode", String(3), nullable=False, server_default=text("'ANY'")),
    Column("spend_path", Boolean, nullable=False, server_default=text("true")),
)


# Tier perks as entitlements (migration 0017).
entitlement_kinds = Table(
    "entitlement_kinds",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(30), nullable=False, unique=True),
    Column("name_zh", String(40), nullable=False),
    Column("name_en", String(60), nullable=False),
    Column("unit_zh", String(10), nullable=False),
    Column("unit_en", String(20), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
)

tier_entitlements = Table(
    "tier_entitlements",
    metadata,
    Column("tier_id", BigId, ForeignKey("tiers.id"), primary_key=True),
    Column("kind_id", BigId, ForeignKey("entitlement_kinds.id"), primary_key=True),
    Column("quota", Integer),  # null: unlimited
    Column("period", String(8)),  # DAY / WEEK / MONTH / YEAR; null with an unlimited quota
    # A member price: percent off lines of these categories (empty: every category); no quota.
    Column("discount_pct", Integer),
    Column("categories", JSON, nullable=False),
)

# Which coupon kinds combine with the member price on one order (no row: the kind combines).
coupon_stacking = Table(
    "coupon_stacking",
    metadata,
    Column("coupon_kind", String(20), primary_key=True),
    Column("with_member_price", Boolean, nullable=False),
)

entitlement_uses = Table(
    "entitlement_uses",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("kind_id", BigId, ForeignKey("entitlement_kinds.id"), nullable=False),
    Column("tier_id", BigId, ForeignKey("tiers.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("store_id", String(64), nullable=False),
    Column("staff_id", BigId, nullable=False),
    Column("period_start", UtcDateTime),
    Column("idempotency_key", String(100), nullable=False),
    Column("used_at", UtcDateTime, nullable=False),
    # The quota check sums one member's uses of one kind since the period start; history pages by time.
    Index("ix_entitlement_uses_member_kind_at", "member_id", "kind_id", "used_at"),
    Index("ix_entitlement_uses_member_at", "member_id", "used_at", "id"),
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
    # Points + cash rewards: the cash part of one unit, in cents, paid outside (a payment reference).
    Column("cash_price_cents", BigInteger, nullable=False, server_default=text("0")),
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
    Column("cash_paid_cents", BigInteger, nullable=False, server_default=text("0")),
    # The external payment that settled the cash part; one payment pays one redemption.
    Column("payment_reference", String(64)),
    Column("used_store_id", String(64)),  # where staff accepted the voucher (null: before stores were recorded)
    Index("ix_redemptions_member_reward", "member_id", "reward_id", "created_at"),
    Index("uq_redemptions_payment_reference", "payment_reference", unique=True),
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
    Column("shareable", Boolean, nullable=False, server_default=text("false")),
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

coupon_code_batches = Table(
    "coupon_code_batches",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("template_id", BigId, ForeignKey("coupon_templates.id"), nullable=False),
    Column("label", String(80), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("valid_until", UtcDateTime, nullable=False),
)

# One row per printed code (millions per batch): narrow on purpose; who used it and how is filled
# in only once it is used.
coupon_codes = Table(
    "coupon_codes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("batch_id", BigId, ForeignKey("coupon_code_batches.id"), nullable=False),
    Column("code", String(16), nullable=False, unique=True),
    Column("status", String(12), nullable=False),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="SET NULL")),
    Column("coupon_id", BigId, ForeignKey("coupons.id", ondelete="SET NULL")),
    Column("order_ref", String(200), unique=True),
    Column("discount_cents", BigInteger),
    Column("used_at", UtcDateTime),
    Index("ix_coupon_codes_batch_id", "batch_id", "id"),
)

# A coupon given to a friend: the giver's coupon is retired (status SHARED) and the friend gets a
# new one with a fresh code. One row per given coupon (unique): a coupon is given once.
coupon_shares = Table(
    "coupon_shares",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("coupon_id", BigId, ForeignKey("coupons.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("from_member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("to_member_id", BigId, ForeignKey("members.id", ondelete="SET NULL")),
    Column("to_phone", String(20)),
    Column("token_hash", String(64), unique=True),
    Column("status", String(12), nullable=False),
    Column("received_coupon_id", BigId, ForeignKey("coupons.id", ondelete="SET NULL")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("settled_at", UtcDateTime),
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
# Daily KPI rollups (domain/kpis/rollup_model.py), replaced a day at a time by the rollup job.
kpi_daily_rollups = Table(
    "kpi_daily_rollups",
    metadata,
    # Metric first: a report reads a few metrics over a span of days, each an index range.
    Column("metric", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("dim1", String(64), primary_key=True),
    Column("dim2", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# Who did anything on each program-local day (rollup job): distinct-member KPIs over a span read these
# rows instead of five raw tables. Counts per kind; a row exists only for a member active that day.
kpi_member_days = Table(
    "kpi_member_days",
    metadata,
    Column("day", Date, primary_key=True),
    Column("member_id", BigInteger, primary_key=True),
    Column("purchases", Integer, nullable=False),
    Column("check_ins", Integer, nullable=False),
    Column("redemptions", Integer, nullable=False),
    Column("writes", Integer, nullable=False),  # posts and comments
    Index("ix_kpi_member_days_member_id_day", "member_id", "day"),
)

# How far each purchase import file (by digest) has committed, for resuming after a crash.
purchase_import_checkpoints = Table(
    "purchase_import_checkpoints",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("done_through_line", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

kpi_rollup_days = Table(
    "kpi_rollup_days",
    metadata,
    Column("day", Date, primary_key=True),
    Column("rolled_at", UtcDateTime, nullable=False),
)

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

# One row per run of a background job (api/jobs.py lists them): what staff see as `jobRuns`.
# QUEUED (asked for by staff, not started) -> RUNNING -> DONE | FAILED. `engine_job_id` is the job
# engine's id (procrastinate on PostgreSQL), so a retry after a crashed worker closes the lost run.
job_runs = Table(
    "job_runs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("job", String(60), nullable=False),
    Column("trigger", String(40), nullable=False),
    Column("status", String(10), nullable=False),
    Column("scheduled_for", UtcDateTime),
    Column("queued_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Column("counts", JSON, nullable=False),
    Column("error", String(500)),
    Column("engine_job_id", BigInteger),
    Index("ix_job_runs_job_status", "job", "status"),
)

# --- gamification: badges, challenges, points draws ---------------------------------------------

badges = Table(
    "badges",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(40), nullable=False),
    Column("name_en", String(60), nullable=False),
    Column("title", String(40)),  # what the profile and community show while the badge is current
    Column("title_en", String(60)),
    Column("rule", String(24), nullable=False),
    Column("threshold", Integer, nullable=False),
    Column("rank", Integer, nullable=False, server_default=text("0")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
)

member_badges = Table(
    "member_badges",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("badge_id", BigId, ForeignKey("badges.id"), nullable=False),
    Column("period", String(7), nullable=False),  # "2026-11" for a monthly badge, "" for a lasting one
    Column("awarded_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
    UniqueConstraint("member_id", "badge_id", "period", name="uq_member_badges_member_badge_period"),
)

challenges = Table(
    "challenges",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(60), nullable=False),
    Column("description", String(300), nullable=False),
    Column("goal", String(16), nullable=False),
    Column("target", BigInteger, nullable=False),
    Column("reward_points", Integer, nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_challenges_ends", "ends_at"),
)

draws = Table(
    "draws",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(60), nullable=False),
    Column("ticket_points", Integer, nullable=False),
    Column("tickets_per_member", Integer),
    Column("seed", String(64), nullable=False),  # secret until the draw ends; its hash is public from the start
    Column("seed_hash", String(64), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

draw_prizes = Table(
    "draw_prizes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("draw_id", BigId, ForeignKey("draws.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("name", String(60), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("points", Integer, nullable=False, server_default=text("0")),
    Column("weight_bp", Integer, nullable=False),
    Column("stock", Integer, nullable=False),
    Column("initial_stock", Integer, nullable=False),
    CheckConstraint("stock >= 0", name="stock_not_negative"),
)

draw_tickets = Table(
    "draw_tickets",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("draw_id", BigId, ForeignKey("draws.id"), nullable=False),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("idempotency_key", String(100), nullable=False),
    Column("roll", Integer, nullable=False),
    Column("picked_prize_id", BigId, ForeignKey("draw_prizes.id")),  # what the roll chose
    Column("prize_id", BigId, ForeignKey("draw_prizes.id")),  # what the member got (null: sold out or no prize)
    Column("claim_code", String(16)),
    Column("entry_id", BigId, ForeignKey("points_entries.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("draw_id", "member_id", "idempotency_key", name="uq_draw_tickets_draw_member_key"),
    Index("ix_draw_tickets_member", "member_id", "id"),
)
# The rollup job reads one day of each of these at a time.
Index("ix_purchases_purchased_at", purchases.c.purchased_at)
Index("ix_refunds_created_at", refunds.c.created_at)
Index("ix_points_entries_created_at", points_entries.c.created_at)
Index("ix_coupons_issued_at", coupons.c.issued_at)
Index("ix_coupons_redeemed_at", coupons.c.redeemed_at)
# Messaging (domain/messaging). The inbox keeps the template kind and its variables, not text: each
# reader sees it in their own language. One copy per (member, message key).
notifications = Table(
    "notifications",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("message_key", String(120), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("variables", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("read_at", UtcDateTime),
    UniqueConstraint("member_id", "message_key", name="uq_notifications_member_key"),
    Index("ix_notifications_member_created", "member_id", "created_at", "id"),
)

# A channel the member switched off (absent: on). Only marketing messages ask.
message_preferences = Table(
    "message_preferences",
    metadata,
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# The queue and the send record at once: what (kind, variables), why (reason), on which channel, and
# the result. Unique per (member, key, channel), so a trigger that runs twice queues nothing new.
outbound_messages = Table(
    "outbound_messages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("message_key", String(120), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("category", String(16), nullable=False),
    Column("variables", JSON, nullable=False),
    Column("reason", String(120), nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("result", String(300)),
    UniqueConstraint("member_id", "message_key", "channel", name="uq_outbound_messages_member_key_channel"),
    Index("ix_outbound_messages_due", "status", "next_attempt_at", "id"),
    Index("ix_outbound_messages_member_sent", "member_id", "sent_at"),
)

# Marketing automation (domain/automation): journeys and scheduled segment campaigns, and who entered them.
automations = Table(
    "automations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(10), nullable=False),
    Column("name", String(80), nullable=False),
    Column("trigger", String(24), nullable=False),
    Column("trigger_days", Integer, nullable=False, server_default=text("0")),
    Column("segment", JSON),
    Column("steps", JSON, nullable=False),
    Column("holdout_bp", Integer, nullable=False),
    Column("period_days", Integer, nullable=False),
    Column("goal_days", Integer, nullable=False),
    Column("status", String(10), nullable=False),
    Column("scheduled_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# One row per member and entry; `period_key` makes a second entry in the same period a no-op.
automation_members = Table(
    "automation_members",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("automation_id", BigId, ForeignKey("automations.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", BigId, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("period_key", String(40), nullable=False),
    Column("status", String(10), nullable=False),
    Column("step", Integer, nullable=False, server_default=text("0")),
    Column("entered_at", UtcDateTime, nullable=False),
    Column("next_at", UtcDateTime),
    Column("coupon_id", BigId),
    UniqueConstraint("automation_id", "member_id", "period_key", name="uq_automation_members_entry"),
    Index("ix_automation_members_due", "status", "next_at"),
    Index("ix_automation_members_member", "member_id", "automation_id", "entered_at"),
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
