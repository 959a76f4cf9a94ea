from billing_runtime.cli import run_service_cli

from payments.bootstrap import bootstrap
from payments.settings import PaymentsSettings

raise SystemExit(run_service_cli(PaymentsSettings, bootstrap, "payments.entrypoints.http:create_app"))
