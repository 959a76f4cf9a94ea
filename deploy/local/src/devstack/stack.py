"""The local stack: starts what the environment does not already provide, and stops it all.

Environment variables override every part: KAFKA_BOOTSTRAP_SERVERS (a running broker),
POSTGRES_URL (a server in which each service gets its database) or ACCOUNTS_DATABASE_URL and
its siblings, STRIPE_API_BASE or a real STRIPE_API_KEY, SMTP_HOST and SMTP_PORT.
"""

import os
import sys
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from billing_contracts import TOPICS

from devstack import containers
from devstack.endpoints import SERVICES, Endpoints, database_overrides
from devstack.errors import StackError
from devstack.kafka import KafkaServer, broker_answers, ensure_topics
from devstack.mailbox import Mailbox
from devstack.ports import HOST, free_port, port_in_use, require_free
from devstack.postgres import EmbeddedPostgres, check_reachable, ensure_databases
from devstack.processes import ManagedProcess, stop_all

EMULATOR_KEY = "sk_test_local_emulator"


@dataclass
class StackConfig:
    state_dir: Path
    cache_dir: Path
    ports: dict[str, int]
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    keep_stripe_store: bool = True
    kafka_settings: Mapping[str, str] = field(default_factory=dict)
    """Broker settings over the stack's own (`server.properties` names), for the broker it starts."""

    # name -> (default port for `make run`, variable that changes it)
    PORTS = {
        "kafka": (19092, "KAFKA_PORT"),
        "kafka_controller": (19093, "KAFKA_CONTROLLER_PORT"),
        "postgres": (15432, "POSTGRES_PORT"),
        "stripe": (8420, "STRIPE_EMULATOR_PORT"),
        "smtp": (1025, "SMTP_PORT"),
    }

    @classmethod
    def fixed(cls, state_dir: Path, cache_dir: Path, environ: Mapping[str, str] | None = None) -> "StackConfig":
        """The ports `make run` uses, which the services' defaults point at."""
        environ = dict(os.environ if environ is None else environ)
        ports = {name: int(environ.get(var, default)) for name, (default, var) in cls.PORTS.items()}
        return cls(state_dir, cache_dir, ports, environ)

    @classmethod
    def ephemeral(cls, state_dir: Path, cache_dir: Path, environ: Mapping[str, str] | None = None) -> "StackConfig":
        """Free ports picked now, so tests never collide with a running `make run`."""
        environ = dict(os.environ if environ is None else environ)
        ports = {name: free_port() for name in cls.PORTS}
        return cls(state_dir, cache_dir, ports, environ, keep_stripe_store=False)


class Stack:
    def __init__(self, config: StackConfig) -> None:
        config.state_dir = config.state_dir.resolve()
        config.cache_dir = config.cache_dir.resolve()
        self.config = config
        self.processes: list[ManagedProcess] = []
        self.containers = containers.Containers()
        self.endpoints: Endpoints | None = None

    def __enter__(self) -> Endpoints:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> Endpoints:
        try:
            self.endpoints = self._start()
        except BaseException:
            self.stop()
            raise
        return self.endpoints

    def stop(self) -> None:
        stop_all(self.processes)
        self.processes.clear()
        self.containers.stop()

    def _start(self) -> Endpoints:
        env, ports, state = self.config.environ, self.config.ports, self.config.state_dir
        use_containers = containers.wanted(env)
        kafka = postgres = None
        # Everything that can fail fast is checked before anything starts.
        if not env.get("KAFKA_BOOTSTRAP_SERVERS") and not use_containers:
            kafka = KafkaServer(state / "kafka", self.config.cache_dir, ports["kafka"], ports["kafka_controller"],
                                self.config.kafka_settings)
            kafka.preflight()
            require_free(ports["kafka"], "Kafka", "KAFKA_PORT")
            require_free(ports["kafka_controller"], "the Kafka controller", "KAFKA_CONTROLLER_PORT")
        if env.get("POSTGRES_URL"):
            check_reachable(env["POSTGRES_URL"], "start that server, correct POSTGRES_URL, or unset it to use the embedded one.")
        elif not use_containers:
            postgres = EmbeddedPostgres(state / "postgres", ports["postgres"])
            postgres.preflight()
            require_free(ports["postgres"], "PostgreSQL", "POSTGRES_PORT")
        for service, url in database_overrides(env).items():
            check_reachable(url.replace("+psycopg", ""), f"start that server or correct {service.upper()}_DATABASE_URL.")
        stripe_base = env.get("STRIPE_API_BASE")
        real_stripe = bool(env.get("STRIPE_API_KEY")) and env.get("STRIPE_API_KEY") != EMULATOR_KEY
        run_emulator = not stripe_base and not real_stripe
        if run_emulator:
            require_free(ports["stripe"], "the Stripe emulator", "STRIPE_EMULATOR_PORT")
        run_mailbox = not env.get("SMTP_HOST")
        if run_mailbox:
            require_free(ports["smtp"], "the SMTP mailbox", "SMTP_PORT")

        # Start every local part, then wait for each: they warm up side by side.
        if kafka:
            self.processes.append(kafka.start())
        if postgres:
            self.processes.append(postgres.start())
        if run_emulator:
            stripe_base = f"http://{HOST}:{ports['stripe']}"
            store = ["--store", str(state / "stripe" / "store.pickle")] if self.config.keep_stripe_store else []
            (state / "stripe").mkdir(parents=True, exist_ok=True)
            emulator = ManagedProcess(
                "Stripe emulator",
                [sys.executable, "-m", "devstack.stripe_emulator", "--port", str(ports["stripe"]), *store],
                state / "stripe" / "stripe.log",
            ).start()
            self.processes.append(emulator)
        maildir = state / "mailbox"
        if run_mailbox:
            mail = ManagedProcess(
                "SMTP mailbox",
                [sys.executable, "-m", "devstack.mailbox", "--port", str(ports["smtp"]), "--maildir", str(maildir)],
                state / "smtp.log",
            ).start()
            self.processes.append(mail)

        if use_containers and not env.get("KAFKA_BOOTSTRAP_SERVERS"):
            bootstrap = self.containers.kafka(self.config.kafka_settings)
        else:
            bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS") or kafka.bootstrap_servers  # type: ignore[union-attr]
        if env.get("POSTGRES_URL"):
            admin_url = env["POSTGRES_URL"]
        elif postgres:
            postgres.process.wait_until(postgres.answers, 60, "accepting connections")  # type: ignore[union-attr]
            admin_url = postgres.admin_url
        else:
            admin_url = self.containers.postgres()
        if kafka:
            kafka.process.wait_until(lambda: broker_answers(bootstrap), 90, "answering clients")  # type: ignore[union-attr]
        elif not broker_answers(bootstrap):
            raise StackError(
                f"Cannot reach the Kafka broker at {bootstrap}; start it, correct KAFKA_BOOTSTRAP_SERVERS, "
                "or unset it to use the local one."
            )
        overrides = database_overrides(env)
        ensure_databases(admin_url, [s for s in SERVICES if s not in overrides])
        ensure_topics(bootstrap, TOPICS)
        if run_emulator:
            emulator.wait_until(lambda: _stripe_answers(stripe_base), 30, "answering")
        if run_mailbox:
            mail.wait_until(lambda: port_in_use(ports["smtp"]), 30, "accepting mail")

        return Endpoints(
            kafka_bootstrap_servers=bootstrap,
            postgres_url=admin_url,
            stripe_api_base=stripe_base,
            stripe_api_key=env.get("STRIPE_API_KEY") or EMULATOR_KEY,
            smtp_host=env.get("SMTP_HOST") or HOST,
            smtp_port=int(env.get("SMTP_PORT") or ports["smtp"]),
            maildir=str(maildir) if run_mailbox else env.get("SMTP_MAILDIR"),
            database_overrides=overrides,
        )

    def mailbox(self) -> Mailbox:
        if not self.endpoints or not self.endpoints.maildir:
            raise RuntimeError("this stack did not start the SMTP mailbox (SMTP_HOST points elsewhere)")
        return Mailbox(Path(self.endpoints.maildir))


def _stripe_answers(base: str) -> bool:
    request = urllib.request.Request(f"{base}/v1/customers?limit=1", headers={"Authorization": f"Bearer {EMULATOR_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False
