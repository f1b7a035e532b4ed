"""Consent: the append-only ledger of each customer's answers, per purpose and channel."""
