"""Member insights: RFM scores per window, lifecycle stages, and the segments offers target."""
