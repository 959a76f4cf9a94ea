"""Metrics, logs and traces every service exposes the same way."""
