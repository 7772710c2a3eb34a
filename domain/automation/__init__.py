"""Marketing automation: journeys (a trigger, then timed steps) and scheduled segment campaigns, each
with a stable random holdout, and results that compare treatment with holdout on a goal (a purchase)."""
