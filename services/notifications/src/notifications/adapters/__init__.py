"""What notifications talks to: its tables and the SMTP server."""
