"""The local stack without Docker: real Kafka, PostgreSQL, a Stripe emulator and an SMTP mailbox,
each a child process on a loopback port, all state under one ignored folder."""
