"""How payments talks to the world: its tables, Stripe and the outbox."""
