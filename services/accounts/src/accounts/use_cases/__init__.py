"""One module per thing a caller can do with billing accounts; each takes its dependencies."""
