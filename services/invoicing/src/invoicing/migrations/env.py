from billing_runtime.migrations import run_migrations

from invoicing.adapters.tables import METADATA

run_migrations(target_metadata=METADATA)
