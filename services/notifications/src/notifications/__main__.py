from billing_runtime.cli import run_service_cli

from notifications.bootstrap import bootstrap
from notifications.settings import NotificationsSettings

raise SystemExit(run_service_cli(NotificationsSettings, bootstrap, "notifications.entrypoints.http:create_app"))
