"""`devstack run | stop | status | mail`: the local platform for a person at a terminal."""

import argparse
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from devstack.endpoints import Endpoints
from devstack.errors import StackError
from devstack.mailbox import Mailbox
from devstack.processes import pid_alive, signal_group
from devstack.services import ServiceProcesses, service_ports
from devstack.stack import Stack, StackConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__)
    parser.add_argument("--state", type=Path, default=Path(os.environ.get("BILLING_STATE_DIR", ".state")))
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start the stack and the four services; Ctrl-C stops all")
    run.add_argument("--infra-only", action="store_true", help="start Kafka, PostgreSQL, Stripe and SMTP only")
    commands.add_parser("stop", help="stop a stack started by `run`, wherever it was started")
    commands.add_parser("status", help="say what runs where")
    commands.add_parser("demo", help="start a platform of its own and tell the walking skeleton's story")
    mail = commands.add_parser("mail", help="list what the SMTP mailbox received")
    mail.add_argument("--show", type=int, help="print message number N in full")
    args = parser.parse_args(argv)
    args.state = args.state.resolve()
    try:
        return COMMANDS[args.command](args)
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    runfile = args.state / "run" / "stack.json"
    if runfile.exists() and pid_alive(json.loads(runfile.read_text())["supervisor"]):
        raise StackError(f"A stack is already running (see {runfile}); `make stop` stops it.")
    # SIGTERM and SIGHUP stop the stack as Ctrl-C does, through the same clean-up.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_interrupt)
    stack = Stack(StackConfig.fixed(args.state / "run", args.state / "cache"))
    services: ServiceProcesses | None = None
    started = time.monotonic()
    try:
        print("Starting Kafka, PostgreSQL, the Stripe emulator and the SMTP mailbox...", flush=True)
        endpoints = stack.start()
        urls: dict[str, str] = {}
        if not args.infra_only:
            print(f"Infrastructure ready after {time.monotonic() - started:.1f} s; migrating and starting the four services...", flush=True)
            services = ServiceProcesses(endpoints, args.state / "run", service_ports(os.environ))
            urls = services.start()
        running = stack.processes + (list(services.processes.values()) if services else [])
        _write_runfile(runfile, endpoints, urls, [p.pid for p in running if p.pid])
        print(_summary(endpoints, urls, args.state / "run", time.monotonic() - started), flush=True)
        while True:
            for process in running:
                if not process.alive():
                    raise StackError(f"{process.name} stopped unexpectedly; its log is {process.log_path}.")
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    finally:
        if services:
            services.stop()
        stack.stop()
        runfile.unlink(missing_ok=True)
        print("Stopped; nothing left running.", flush=True)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _write_runfile(path: Path, endpoints: Endpoints, urls: dict[str, str], groups: list[int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"supervisor": os.getpid(), "groups": groups, "urls": urls, "endpoints": endpoints.__dict__}
    path.write_text(json.dumps(record, indent=2))


def _summary(endpoints: Endpoints, urls: dict[str, str], state: Path, seconds: float) -> str:
    lines = [f"\nThe billing platform is up after {seconds:.1f} s. Ctrl-C here, or `make stop`, stops it.\n"]
    for name, url in urls.items():
        lines.append(f"  {name:<14} {url}   (API docs {url}/docs, readiness {url}/readyz)")
    lines += [
        f"  {'Kafka':<14} {endpoints.kafka_bootstrap_servers}",
        f"  {'PostgreSQL':<14} {endpoints.postgres_url} (a database per service)",
        f"  {'Stripe':<14} {endpoints.stripe_api_base or 'api.stripe.com (real test-mode key)'}",
        f"  {'SMTP':<14} {endpoints.smtp_host}:{endpoints.smtp_port}"
        + (f"  (mailbox {endpoints.maildir}; `make mail` lists it)" if endpoints.maildir else ""),
        f"  {'logs':<14} {state}",
    ]
    return "\n".join(lines)


def _stop(args: argparse.Namespace) -> int:
    runfile = args.state / "run" / "stack.json"
    if not runfile.exists():
        print("No stack is running.")
        return 0
    record = json.loads(runfile.read_text())
    if pid_alive(record["supervisor"]):
        os.kill(record["supervisor"], signal.SIGTERM)
        deadline = time.monotonic() + 60
        while pid_alive(record["supervisor"]) and time.monotonic() < deadline:
            time.sleep(0.2)
    # Whatever the supervisor could not stop (it was killed, say) goes now.
    for group in record["groups"]:
        signal_group(group, signal.SIGKILL)
    runfile.unlink(missing_ok=True)
    print("Stopped.")
    return 0


def _status(args: argparse.Namespace) -> int:
    runfile = args.state / "run" / "stack.json"
    if not runfile.exists() or not pid_alive(json.loads(runfile.read_text())["supervisor"]):
        print("No stack is running; `make run` starts one.")
        return 1
    record = json.loads(runfile.read_text())
    print(_summary(Endpoints(**record["endpoints"]), record["urls"], args.state / "run", 0).split("\n", 2)[2])
    return 0


def _mail(args: argparse.Namespace) -> int:
    messages = Mailbox(args.state / "run" / "mailbox").messages()
    if args.show:
        print(messages[args.show - 1].as_string())
        return 0
    for number, message in enumerate(messages, 1):
        print(f"{number:>4}  {message['Date']}  to {message['X-Envelope-To']}  {message['Subject']}")
    print(f"{len(messages)} message(s); `make mail N=<number>` shows one.")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from devstack.ports import free_port
    from devstack.story import Story, expected_cents

    state = args.state / "demo"
    shutil.rmtree(state, ignore_errors=True)  # a fresh platform each time: the story starts from nothing
    print("Starting Kafka, PostgreSQL, the Stripe emulator, the SMTP mailbox and the four services...", flush=True)
    with Stack(StackConfig.ephemeral(state, args.state / "cache")) as endpoints:
        services = ServiceProcesses(endpoints, state, {name: free_port() for name in service_ports(os.environ)})
        try:
            services.start()
            step = iter(range(1, 100))
            result = Story(services.urls(), endpoints, say=lambda line: print(f"{next(step):>2}. {line}", flush=True)).run()
            cents = expected_cents()
            print(f"\nThe price book says each invoice is {cents} cents; "
                  f"{result.paid.name} paid {result.paid.invoice['amount_due']}, "
                  f"{result.failing.name} owes {result.failing.invoice['amount_due']}.")
            email = result.action_required_emails[0]
            print(f"\nThe email {result.failing.email} received:\n  Subject: {email['Subject']}\n")
            print("  " + email.get_body(("plain",)).get_content().strip().replace("\n", "\n  "))
            print(f"\nAction-required emails to {result.paid.email}: {len(result.action_required_to_paying_customer)} "
                  f"(it was sent: {result.subjects_to_paying_customer})")
        finally:
            services.stop()
    return 0


COMMANDS = {"run": _run, "demo": _demo, "stop": _stop, "status": _status, "mail": _mail}

if __name__ == "__main__":
    raise SystemExit(main())
