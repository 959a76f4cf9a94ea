"""The messaging kit every service uses: transactional outbox and relay, idempotent inbox."""
