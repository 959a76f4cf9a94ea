from billing_runtime.cli import run_service_cli

from accounts.bootstrap import bootstrap
from accounts.settings import AccountsSettings

raise SystemExit(run_service_cli(AccountsSettings, bootstrap, "accounts.entrypoints.http:create_app"))
