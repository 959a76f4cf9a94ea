"""One module per use case; each takes its dependencies (transaction, clock, price book) as arguments."""
