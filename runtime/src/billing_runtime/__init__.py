"""Plumbing shared by the four billing services, written once."""
