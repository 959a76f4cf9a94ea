"""Tables, repositories over them, and the price book file."""
