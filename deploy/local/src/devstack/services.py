"""The four billing services as separate processes against a running stack."""

import os
import subprocess
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


def migrate(service: str, env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", service, "migrate"], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise StackError(f"Migrating the {service} database failed: {last}")


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
        for name in self.ports:
            migrate(name, self.env(name))
        for name, port in self.ports.items():
            self.processes[name] = ManagedProcess(
                f"the {name} service",
                [sys.executable, "-m", name, "serve", "--port", str(port)],
                self.state_dir / "services" / f"{name}.log",
                env=self.env(name),
            ).start()
        for name, url in self.urls().items():
            self.processes[name].wait_until(lambda url=url: ready(url), 60, "ready (/readyz)")
        return self.urls()

    def stop(self) -> None:
        stop_all(list(self.processes.values()))
        self.processes.clear()
