"""Customers: the people and organisations you do business with, their contacts and identities."""
