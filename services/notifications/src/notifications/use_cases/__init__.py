"""What notifications does, one module per use case."""
