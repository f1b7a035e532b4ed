"""The relationship-value models: RFM, BTYD models, Gamma-Gamma, tiers; numpy and scipy only, no storage."""
