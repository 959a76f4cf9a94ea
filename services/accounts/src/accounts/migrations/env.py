from billing_runtime.migrations import run_migrations

run_migrations(target_metadata=None)
