"""Activity: interactions (touchpoints), purchases (transactions) and the timeline merging them."""
