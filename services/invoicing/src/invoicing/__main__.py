from billing_runtime.cli import run_service_cli

from invoicing.bootstrap import bootstrap
from invoicing.settings import InvoicingSettings

raise SystemExit(run_service_cli(InvoicingSettings, bootstrap, "invoicing.entrypoints.http:create_app"))
