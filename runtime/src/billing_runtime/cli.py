"""The command line every service shares: `python -m <service> serve | migrate`."""

import argparse
import os
import sys
from collections.abc import Callable

import uvicorn
from sqlalchemy.exc import OperationalError

from billing_runtime.database import unreachable_message
from billing_runtime.migrations import upgrade
from billing_runtime.observability.logs import configure_logging
from billing_runtime.observability.otel import TracingMisconfigured, configure_tracing
from billing_runtime.service import ServiceRuntime
from billing_runtime.settings import ServiceRole, ServiceSettings


def run_service_cli(
    settings_factory: Callable[[], ServiceSettings],
    bootstrap: Callable[[ServiceSettings], ServiceRuntime],
    app_factory: str,
    argv: list[str] | None = None,
) -> int:
    settings = settings_factory()
    parser = argparse.ArgumentParser(prog=settings.service_name)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve HTTP and consume Kafka")
    serve.add_argument("--port", type=int, default=settings.http_port)
    serve.add_argument("--host", default=settings.http_host)
    serve.add_argument("--role", choices=[r.value for r in ServiceRole], default=settings.service_role.value,
                       help="http: the API; consumer: subscribers, relay and workers; all: both (default)")
    commands.add_parser("migrate", help="bring the service's database to the latest schema")
    args = parser.parse_args(argv)
    configure_logging(settings.service_name, settings.log_level, settings.log_json)

    if args.command == "migrate":
        runtime = bootstrap(settings)
        try:
            upgrade(runtime.migrations_dir, settings.database_url)
        except OperationalError as error:
            print(unreachable_message(settings.database_url, error), file=sys.stderr)
            return 2
        return 0

    try:  # spans only when OTEL_EXPORTER_OTLP_ENDPOINT (or its traces variant) names a collector
        configure_tracing(settings.service_name)
    except TracingMisconfigured as error:
        print(f"{settings.service_name}: {error}", file=sys.stderr)
        return 2
    os.environ["SERVICE_ROLE"] = args.role  # the app factory reads its settings afresh
    uvicorn.run(app_factory, factory=True, host=args.host, port=args.port, log_level=settings.log_level.lower(),
                log_config=None)  # keep the JSON lines configured above for uvicorn's own loggers too
    return 0
