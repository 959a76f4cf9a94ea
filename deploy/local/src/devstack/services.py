"""The four billing services as separate processes against a running stack."""

import importlib.util
import os
import sys
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from devstack.endpoints import SERVICES, Endpoints
from devstack.errors import StackError
from devstack.ports import HOST, require_free
from devstack.processes import ManagedProcess, stop_all


def service_ports(environ: Mapping[str, str]) -> dict[str, int]:
    """`ACCOUNTS_PORT` and its siblings move a service off its default port."""
    return {name: int(environ.get(f"{name.upper()}_PORT", port)) for name, port in SERVICES.items()}


def migrate(database_urls: dict[str, str]) -> None:
    """Bring each service's database to its latest schema with the service's own migrations.

    Done here, in one process, rather than by four `python -m <service> migrate` runs: the
    same Alembic scripts, without paying four interpreter start-ups on a small machine.
    """
    from billing_runtime.migrations import upgrade
    from sqlalchemy.exc import OperationalError

    for service, url in database_urls.items():
        spec = importlib.util.find_spec(service)
        assert spec is not None and spec.submodule_search_locations, service
        try:
            upgrade(Path(spec.submodule_search_locations[0]) / "migrations", url)
        except OperationalError as error:
            raise StackError(f"Migrating the {service} database failed: {str(error.orig).strip().splitlines()[0]}") from None


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class ServiceProcesses:
    def __init__(self, endpoints: Endpoints, state_dir: Path, ports: dict[str, int], extra_env: Mapping[str, str] = {}) -> None:
        self.endpoints = endpoints
        self.state_dir = state_dir
        self.ports = ports
        self.extra_env = dict(extra_env)
        self.processes: dict[str, ManagedProcess] = {}

    def urls(self) -> dict[str, str]:
        return {name: f"http://{HOST}:{port}" for name, port in self.ports.items()}

    def env(self, service: str) -> dict[str, str]:
        return {**os.environ, **self.extra_env, **self.endpoints.service_env(service)}

    def start(self) -> dict[str, str]:
        for name, port in self.ports.items():
            require_free(port, f"the {name} service", f"{name.upper()}_PORT")
        migrate({name: self.endpoints.database_url(name) for name in self.ports})
        for name in self.ports:
            self._spawn(name)
        for name in self.ports:
            self._wait_ready(name)
        return self.urls()

    def restart(self, name: str) -> None:
        """Stop one service (as an SRE's rollout would) and start it again."""
        self.processes.pop(name).stop()
        self._spawn(name)
        self._wait_ready(name)

    def _spawn(self, name: str) -> None:
        self.processes[name] = ManagedProcess(
            f"the {name} service",
            [sys.executable, "-m", name, "serve", "--port", str(self.ports[name])],
            self.state_dir / "services" / f"{name}.log",
            env=self.env(name),
        ).start()

    def _wait_ready(self, name: str) -> None:
        url = self.urls()[name]
        self.processes[name].wait_until(lambda: ready(url), 60, "ready (/readyz)")

    def stop(self) -> None:
        stop_all(list(self.processes.values()))
        self.processes.clear()
