"""The notifications service: the emails customers rely on."""
