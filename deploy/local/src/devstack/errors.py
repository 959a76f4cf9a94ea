class StackError(Exception):
    """A start-up problem told in one sentence: what is wrong and what to do about it."""
