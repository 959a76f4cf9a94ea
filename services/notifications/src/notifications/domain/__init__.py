"""Pure rules of notifications: who is told, what the email says, when to try again. No I/O."""
