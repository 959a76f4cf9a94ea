"""The payments service: cards on file through Stripe, charges and retries."""
