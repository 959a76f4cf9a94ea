"""The accounts service's side of PostgreSQL, the outbox and id generation."""
