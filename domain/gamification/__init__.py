"""Gamification: badges and titles from rules over the ledger and activity, challenges with
progress and a reward, and points draws that are fair, auditable and never oversell a prize."""
