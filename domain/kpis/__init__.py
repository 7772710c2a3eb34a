"""Operator KPIs: member growth, activity, retention, points flow, tiers, purchases, check-ins."""
