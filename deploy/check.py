"""Check the deployment manifests: valid, and true to the code.

    python deploy/check.py            # what `make deploy-check` runs (before tests/deploy)

1. Renders the Kustomize base and every overlay with `kustomize build`.
2. Validates every rendered Kubernetes object against the Kubernetes JSON schemas (strict,
   offline: the schemas bundled in the PyPI package `kubernetes-validate`), the compose file
   against the Compose Specification's JSON schema (from the Go module compose-go), and every
   alert expression with a PromQL parser (`promql-parser`). Those packages live in their own
   virtualenv (.state/tools/deploy-check); this file re-runs itself there for that part.
3. Compares what the manifests say with what the code says: every service container runs the
   service's real CLI (parsed by `billing_runtime.cli.run_service_cli` itself) with its settings
   class built from exactly the container's environment, so an unknown variable, a missing one,
   a wrong type, a development secret in production, a wrong role or port all fail here; ports,
   probes, Services, autoscalers, budgets, migrations, secrets by reference, images built from
   only the service's package (its lock closure in locks/), the topics the provisioning runs create
   (deploy/topics.py's own plan) against `billing_contracts.TOPICS`, and the alerts' metrics
   against the metrics the runtime exports.

Every check is a function from parsed documents to a list of problems, so tests can feed it
modified copies and see it fail (tests/deploy/test_deploy_manifests.py).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import fnmatch
import importlib
import importlib.util
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from functools import cache
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import yaml

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
TOOLS = REPO / ".state" / "tools"
KUSTOMIZATIONS = {"base": DEPLOY / "k8s" / "base", "production": DEPLOY / "k8s" / "overlays" / "production"}
COMPOSE_FILE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "images" / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
POSTGRES_INIT = DEPLOY / "postgres" / "init-databases.sql"
RUNBOOK = REPO / "docs" / "runbook.md"
KUBERNETES_VERSION = "1.34.0"

SERVICES = {"accounts": 8001, "payments": 8002, "invoicing": 8003, "notifications": 8004}
"""The services and their default ports (the design card); each settings class must agree."""
ROLES = ("http", "consumer")
SECRET_VARS = {"DATABASE_URL", "JWT_SECRET", "STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET", "SMTP_PASSWORD", "SMTP_USERNAME"}
"""Never a literal in Kubernetes: a secretKeyRef (or, for a service that does not use it, an `unused…` marker)."""
USES = {"STRIPE_API_KEY": {"payments"}, "STRIPE_WEBHOOK_SECRET": {"payments"}, "SMTP_PASSWORD": {"notifications"},
        "SMTP_USERNAME": {"notifications"}}
REQUIRED = {
    "*": {"ENVIRONMENT", "KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "JWT_AUDIENCE", "JWT_ISSUER"},
    "payments": {"STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET"},
    "notifications": {"SMTP_HOST", "SMTP_PORT", "DASHBOARD_BASE_URL"},
}
"""Set explicitly wherever a service runs: their defaults point at 127.0.0.1 or development values."""
ALERTED_METRICS = {"billing_consumer_lag", "billing_outbox_oldest_age_seconds", "billing_dead_letters_total",
                   "billing_http_requests_total"}
LAG_METRIC = "billing_consumer_lag"


def kustomize_binary() -> str:
    return os.environ.get("KUSTOMIZE") or str(TOOLS / "bin" / "kustomize")


def tool_python() -> str:
    return os.environ.get("DEPLOY_CHECK_PYTHON") or str(TOOLS / "deploy-check" / "bin" / "python")


def compose_schema_path() -> Path:
    return Path(os.environ.get("COMPOSE_SCHEMA") or TOOLS / "compose-spec.json")


class ToolMissing(RuntimeError):
    pass


# --------------------------------------------------------------------------------------------
# Loading


def render(kustomization: Path) -> list[dict]:
    binary = kustomize_binary()
    if not Path(binary).exists():
        raise ToolMissing(f"kustomize is not at {binary}; `make deploy-check` installs it")
    done = subprocess.run([binary, "build", str(kustomization)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"kustomize build {kustomization.relative_to(REPO)} failed: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def load_compose(path: Path = COMPOSE_FILE) -> dict:
    return yaml.safe_load(path.read_text())


@dataclass
class Instruction:
    keyword: str
    args: str
    line: int


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def parse_dockerfile(text: str) -> list[Stage]:
    """Instructions by stage: continuation lines joined, comments and parser directives dropped."""
    stages: list[Stage] = []
    preamble: list[Instruction] = []
    logical, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not logical and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if logical and line.lstrip().startswith("#"):
            continue
        if not logical:
            start = number
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        keyword, _, args = logical.strip().partition(" ")
        instruction = Instruction(keyword.upper(), args.strip(), start)
        logical = ""
        if instruction.keyword == "FROM":
            parts = instruction.args.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(parts[0], name, [instruction]))
        elif stages:
            stages[-1].instructions.append(instruction)
        else:
            preamble.append(instruction)
    if logical:
        raise ValueError(f"Dockerfile ends inside a continued instruction (line {start})")
    if stages:
        stages[0].instructions[:0] = preamble
    return stages


def load_dockerfile(path: Path = DOCKERFILE) -> list[Stage]:
    return parse_dockerfile(path.read_text())


def dockerfile_env(stages: list[Stage], service: str) -> dict[str, str]:
    """The final stage's ENV, with the build arguments a service's image is built with."""
    env = {}
    for instruction in stages[-1].all("ENV"):
        for name, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S*)", instruction.args):
            env[name] = value
    args = {"SERVICE": service, "PORT": str(SERVICES[service])}
    return {k: re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), v) for k, v in env.items()}


def image_env(service: str) -> dict[str, str]:
    """What the service image sets that its settings read (HTTP_HOST, HTTP_PORT, SERVICE_ROLE)."""
    known = setting_names(settings_classes()[service])
    return {k: v for k, v in dockerfile_env(load_dockerfile(), service).items() if k in known}


# --------------------------------------------------------------------------------------------
# What the code says


@cache
def settings_classes() -> dict[str, type]:
    from billing_runtime.settings import ServiceSettings

    found = {}
    for service in SERVICES:
        module = importlib.import_module(f"{service}.settings")
        classes = [v for v in vars(module).values()
                   if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings
                   and v.__module__ == module.__name__]
        assert len(classes) == 1, f"{service}.settings should define one settings class, not {classes}"
        found[service] = classes[0]
    return found


def setting_names(cls: type) -> set[str]:
    """The environment variables a settings class reads (pydantic-settings: field name, any case)."""
    prefix = cls.model_config.get("env_prefix", "")
    return {(prefix + name).upper() for name, info in cls.model_fields.items() if not info.alias}


@cache
def otel_variables() -> set[str]:
    """The OTEL_* variables OpenTelemetry's SDK and exporter read (their own lists of names): a
    service takes them from its environment beside its settings (billing_runtime.observability.otel)."""
    import opentelemetry.environment_variables as api_names
    import opentelemetry.sdk.environment_variables as sdk_names

    return {value for module in (api_names, sdk_names) for name, value in vars(module).items()
            if name.startswith("OTEL_") and isinstance(value, str) and value == name}


@cache
def exported_metrics() -> set[str]:
    """Names of every sample the runtime exports (a Counter `x` exports `x_total`, and so on)."""
    from prometheus_client.metrics import MetricWrapperBase

    import billing_runtime.observability.metrics as metrics

    suffixes = {"counter": ["_total", "_created"], "histogram": ["_bucket", "_sum", "_count", "_created"],
                "summary": ["_sum", "_count", "_created"], "gauge": [""], "info": ["_info"]}
    names = set()
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            for described in value.describe():
                names |= {described.name + s for s in suffixes.get(described.type, [""])}
    return names


@cache
def health_paths() -> set[str]:
    from billing_runtime.health import health_router

    return {route.path for route in health_router(SimpleNamespace()).routes}


def workspace_members() -> dict[str, str]:
    """Workspace package name -> its directory, from the root pyproject's workspace members."""
    root = tomllib.loads((REPO / "pyproject.toml").read_text())
    members = {}
    for pattern in root["tool"]["uv"]["workspace"]["members"]:
        for directory in sorted(REPO.glob(pattern)):
            if (directory / "pyproject.toml").exists():
                project = tomllib.loads((directory / "pyproject.toml").read_text())["project"]
                members[project["name"]] = directory.relative_to(REPO).as_posix()
    return members


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def lock_closure(package: str, locks: Path = REPO / "locks") -> set[str]:
    """Every package the image of `package` installs: the workspace packages it depends on (per
    their pyproject.toml) and the third-party ones its lock file (locks/<service>.txt) pins."""
    members = workspace_members()
    seen, todo = set(), [package]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            project = tomllib.loads((REPO / members[name] / "pyproject.toml").read_text())["project"]
            todo += [d for d in map(_requirement_name, project.get("dependencies", [])) if d in members]
    pinned = re.findall(r"^([A-Za-z0-9_.-]+)==", (locks / f"{package.removeprefix('billing-')}.txt").read_text(), re.M)
    return seen | {_requirement_name(name) for name in pinned}


@cache
def registry_topics() -> tuple[dict, ...]:
    from billing_contracts import TOPICS

    return tuple({"name": t.name, "partitions": t.partitions, "config": t.config()} for t in TOPICS)


def topics_plan(args: list[str]) -> list[dict]:
    """What deploy/topics.py would provision when run with `args` (its own parser, --dry-run)."""
    spec = importlib.util.spec_from_file_location("billing_deploy_topics", DEPLOY / "topics.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), mock.patch.dict(os.environ, {}, clear=True):
        module.main([*args, "--dry-run"])
    return json.loads(out.getvalue())


# --------------------------------------------------------------------------------------------
# Running a container's command line through the real CLI


@dataclass
class Launch:
    command: str
    role: str | None = None
    port: int | None = None
    host: str | None = None


def run_cli(service: str, argv: list[str], env: dict[str, str]) -> tuple[Launch | None, str | None]:
    """Parse `python -m <service> <argv>` with the service's settings built from `env` alone,
    through billing_runtime.cli.run_service_cli, without serving or migrating anything."""
    from billing_runtime import cli

    settings_cls = settings_classes()[service]
    launched: list[Launch] = []

    def fake_uvicorn_run(app, factory, host, port, **_):  # noqa: ANN001, ANN003
        launched.append(Launch("serve", os.environ.get("SERVICE_ROLE"), port, host))

    def fake_upgrade(migrations_dir, url):  # noqa: ANN001
        launched.append(Launch("migrate"))

    err = io.StringIO()
    try:
        with mock.patch.dict(os.environ, env, clear=True), \
                mock.patch.object(cli.uvicorn, "run", fake_uvicorn_run), \
                mock.patch.object(cli, "upgrade", fake_upgrade), \
                mock.patch.object(cli, "configure_logging", lambda *a, **k: None), \
                mock.patch.object(cli, "configure_tracing", _tracing_checked_only), \
                contextlib.redirect_stderr(err):
            code = cli.run_service_cli(settings_cls, lambda s: SimpleNamespace(migrations_dir=Path("/")),
                                       f"{service}.entrypoints.http:create_app", list(argv))
    except SystemExit as exit_:
        return None, f"`{shlex.join(argv)}` is refused by the CLI: {err.getvalue().strip().splitlines()[-1:] or exit_}"
    except Exception as error:  # noqa: BLE001 - a settings ValidationError, mostly
        return None, f"the settings refuse this environment: {str(error).strip()}"
    if code != 0 or not launched:
        said = err.getvalue().strip().splitlines()
        return None, f"`{shlex.join(argv)}` did not serve or migrate (exit {code})" + (f": {said[-1]}" if said else "")
    return launched[0], None


def _tracing_checked_only(service_name: str) -> None:
    """What the CLI's `configure_tracing` does with the environment (refusing what it would refuse),
    without making the exporter this process's own."""
    from billing_runtime.observability.otel import tracer_provider_from_environment

    provider = tracer_provider_from_environment(service_name)
    if provider is not None:
        provider.shutdown()


def check_process(where: str, service: str, argv: list[str], env: dict[str, str], expect: str,
                  literal_env: set[str] | None = None) -> list[str]:
    """One service process: known variables only, the required ones set, the CLI accepts it."""
    problems = []
    settings_cls = settings_classes()[service]
    known = setting_names(settings_cls) | otel_variables()
    unknown = sorted(set(env) - known)
    if unknown:
        problems.append(f"{where}: {service} has no setting for {', '.join(unknown)}")
    required = {"DATABASE_URL", "ENVIRONMENT"} if expect == "migrate" else REQUIRED["*"] | REQUIRED.get(service, set())
    env = {**image_env(service), **env}
    missing = sorted(required - set(env))
    if missing:
        problems.append(f"{where}: {', '.join(missing)} not set (the default points at a development value)")
    if expect != "migrate" and "JWT_SECRET" not in env and "JWT_JWKS_URL" not in env:
        problems.append(f"{where}: neither JWT_SECRET nor JWT_JWKS_URL is set")
    launch, refusal = run_cli(service, argv, {k: v for k, v in env.items() if k in known})
    if refusal:
        return problems + [f"{where}: {refusal}"]
    if expect == "migrate":
        if launch.command != "migrate":
            problems.append(f"{where}: runs `{shlex.join(argv)}`, not the migration")
        return problems
    if launch.command != "serve":
        problems.append(f"{where}: runs `{shlex.join(argv)}`, not `serve`")
    elif expect in ROLES + ("all",) and launch.role != expect:
        problems.append(f"{where}: serves role {launch.role!r}, expected {expect!r}")
    port = SERVICES[service]
    if launch.port != port or settings_cls().http_port != port:
        problems.append(f"{where}: serves on port {launch.port}; {service}'s port is {port}")
    if launch.host not in ("0.0.0.0", "::"):
        problems.append(f"{where}: listens on {launch.host}, unreachable from outside the container (HTTP_HOST)")
    return problems


# --------------------------------------------------------------------------------------------
# Kubernetes


def _by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d.get("kind") == kind}


def _config_maps(docs: list[dict]) -> dict[str, dict]:
    return {name: d.get("data", {}) for name, d in _by_kind(docs, "ConfigMap").items()}


def _container_env(container: dict, config_maps: dict[str, dict]) -> tuple[dict[str, str], list[str]]:
    """The environment a container gets; secrets replaced by a marker naming their reference."""
    env: dict[str, str] = {}
    problems = []
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef", {}).get("name")
        if ref is None:
            problems.append(f"envFrom other than a ConfigMap: {source}")
        elif ref not in config_maps:
            problems.append(f"envFrom ConfigMap {ref} is not rendered")
        else:
            env.update({k: str(v) for k, v in config_maps[ref].items()})
    for var in container.get("env", []):
        name = var["name"]
        if "value" in var:
            env[name] = str(var["value"])
        elif "secretKeyRef" in var.get("valueFrom", {}):
            ref = var["valueFrom"]["secretKeyRef"]
            env[name] = f"secret:{ref['name']}/{ref['key']}"
        elif "configMapKeyRef" in var.get("valueFrom", {}):
            ref = var["valueFrom"]["configMapKeyRef"]
            if ref["key"] not in config_maps.get(ref["name"], {}):
                problems.append(f"{name} refers to {ref['name']}/{ref['key']}, which is not rendered")
            env[name] = str(config_maps.get(ref["name"], {}).get(ref["key"], ""))
        else:
            problems.append(f"{name}: unsupported valueFrom {var.get('valueFrom')}")
    return env, problems


def _secret_problems(where: str, service: str, container: dict, config_maps: dict[str, dict],
                     config_map_names: list[str]) -> list[str]:
    problems = []
    for name in config_map_names:
        leaked = SECRET_VARS & set(config_maps.get(name, {}))
        if leaked:
            problems.append(f"{where}: ConfigMap {name} holds {', '.join(sorted(leaked))}; use a secretKeyRef")
    for var in container.get("env", []):
        if var["name"] not in SECRET_VARS:
            continue
        by_ref = "secretKeyRef" in var.get("valueFrom", {})
        unused_marker = service not in USES.get(var["name"], {service}) and str(var.get("value", "")).startswith("unused")
        if not by_ref and not unused_marker:
            problems.append(f"{where}: {var['name']} must come from a secretKeyRef, not {var.get('value') or var.get('valueFrom')}")
    return problems


def _port_of(container: dict, port: int | str) -> int | None:
    if isinstance(port, int):
        return port
    for p in container.get("ports", []):
        if p.get("name") == port:
            return p["containerPort"]
    return None


def _matches(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def check_kubernetes(docs: list[dict], overlay: str = "k8s") -> list[str]:
    problems: list[str] = []
    config_maps = _config_maps(docs)
    deployments = _by_kind(docs, "Deployment")
    services = _by_kind(docs, "Service")
    hpas = _by_kind(docs, "HorizontalPodAutoscaler")
    pdbs = list(_by_kind(docs, "PodDisruptionBudget").values())
    paths = health_paths()
    metrics = exported_metrics()
    max_partitions = max(t["partitions"] for t in registry_topics())

    for service, port in SERVICES.items():
        for role in ROLES:
            name = f"{service}-{role}"
            where = f"{overlay}: Deployment {name}"
            deployment = deployments.get(name)
            if deployment is None:
                problems.append(f"{overlay}: no Deployment {name} (each service runs its roles apart)")
                continue
            pod = deployment["spec"]["template"]
            spec = pod["spec"]
            labels = pod["metadata"].get("labels", {})
            if not _matches(deployment["spec"]["selector"], labels):
                problems.append(f"{where}: its selector does not match its pod labels")
            if spec.get("securityContext", {}).get("runAsNonRoot") is not True:
                problems.append(f"{where}: pods must run as non-root (securityContext.runAsNonRoot)")
            containers = [c for c in spec["containers"] if c["name"] == service]
            if len(containers) != 1:
                problems.append(f"{where}: expected one container named {service}")
                continue
            container = containers[0]
            image = container.get("image", "")
            if image.split("@")[0].rsplit(":", 1)[0].rsplit("/", 1)[-1] != service:
                problems.append(f"{where}: image {image} is not the {service} image")
            if "command" in container:
                problems.append(f"{where}: `command` overrides the image's entrypoint (python -m {service}); use args")
            env, env_problems = _container_env(container, config_maps)
            problems += [f"{where}: {p}" for p in env_problems]
            problems += _secret_problems(where, service, container, config_maps,
                                         [s["configMapRef"]["name"] for s in container.get("envFrom", []) if "configMapRef" in s])
            problems += check_process(where, service, container.get("args", []), env, role)
            ports = {p["containerPort"] for p in container.get("ports", [])}
            if ports != {port}:
                problems.append(f"{where}: container ports {sorted(ports)}, {service} serves {port}")
            for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                get = container.get(probe, {}).get("httpGet")
                if not get:
                    problems.append(f"{where}: no {probe} over HTTP")
                    continue
                if get.get("path") != path or path not in paths:
                    problems.append(f"{where}: {probe} asks {get.get('path')}, expected {path} (served: {sorted(paths)})")
                if _port_of(container, get.get("port")) != port:
                    problems.append(f"{where}: {probe} on port {get.get('port')}, not {port}")
            for c in spec.get("initContainers", []) + spec["containers"]:
                requests = c.get("resources", {}).get("requests", {})
                if not {"cpu", "memory"} <= set(requests):
                    problems.append(f"{where}: container {c['name']} lacks cpu and memory requests")
            migrations = [c for c in spec.get("initContainers", []) if c.get("args") == ["migrate"]]
            if len(migrations) != 1:
                problems.append(f"{where}: expected one initContainer running `migrate`")
            else:
                migrate = migrations[0]
                if migrate.get("image") != image:
                    problems.append(f"{where}: the migration runs {migrate.get('image')}, the service {image}")
                migrate_env, migrate_problems = _container_env(migrate, config_maps)
                problems += [f"{where}: initContainer: {p}" for p in migrate_problems]
                problems += _secret_problems(f"{where} initContainer", service, migrate, config_maps, [])
                if migrate_env.get("DATABASE_URL") != env.get("DATABASE_URL"):
                    problems.append(f"{where}: the migration's DATABASE_URL differs from the service's")
                problems += check_process(f"{where} initContainer", service, migrate["args"], migrate_env, "migrate")

            # Autoscaler
            hpa = hpas.get(name)
            if hpa is None:
                problems.append(f"{overlay}: no HorizontalPodAutoscaler {name}")
            else:
                target = hpa["spec"]["scaleTargetRef"]
                if (target.get("kind"), target.get("name")) != ("Deployment", name):
                    problems.append(f"{overlay}: HPA {name} scales {target}, not Deployment {name}")
                kinds = {m["type"]: m for m in hpa["spec"].get("metrics", [])}
                if role == "http":
                    cpu = kinds.get("Resource", {}).get("resource", {})
                    if cpu.get("name") != "cpu":
                        problems.append(f"{overlay}: HPA {name} must scale on CPU")
                else:
                    lag = [m.get(k.lower(), {}).get("metric", {}) for k, m in kinds.items() if k in ("External", "Pods")]
                    if not any(m.get("name") == LAG_METRIC for m in lag):
                        problems.append(f"{overlay}: HPA {name} must scale on {LAG_METRIC} (External or Pods metric)")
                    for m in lag:
                        if m.get("name") not in metrics:
                            problems.append(f"{overlay}: HPA {name} uses {m.get('name')}, which no service exports")
                        selector = m.get("selector", {}).get("matchLabels", {})
                        if m.get("name") == LAG_METRIC and selector.get("service") != service:
                            problems.append(f"{overlay}: HPA {name} reads the lag of {selector}, not service={service}")
                    if hpa["spec"]["maxReplicas"] > max_partitions:
                        problems.append(f"{overlay}: HPA {name} allows {hpa['spec']['maxReplicas']} consumers, "
                                        f"more than any topic's {max_partitions} partitions")
            # Disruption budget
            if not any(_matches(p["spec"]["selector"], labels) for p in pdbs):
                problems.append(f"{overlay}: no PodDisruptionBudget selects the pods of {name}")

        # The API's Service
        api = services.get(service)
        http = deployments.get(f"{service}-http")
        if api is None:
            problems.append(f"{overlay}: no Service {service}")
        elif http is not None:
            pod_labels = http["spec"]["template"]["metadata"].get("labels", {})
            selector = api["spec"].get("selector", {})
            if not selector or any(pod_labels.get(k) != v for k, v in selector.items()):
                problems.append(f"{overlay}: Service {service} does not select the pods of {service}-http")
            consumer_labels = deployments.get(f"{service}-consumer", {}).get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})
            if selector and all(consumer_labels.get(k) == v for k, v in selector.items()):
                problems.append(f"{overlay}: Service {service} also selects the consumers")
            container = next((c for c in http["spec"]["template"]["spec"]["containers"] if c["name"] == service), {})
            for p in api["spec"]["ports"]:
                if _port_of(container, p.get("targetPort", p["port"])) != port:
                    problems.append(f"{overlay}: Service {service} targets {p.get('targetPort')}, not port {port}")

    problems += check_topics_job(docs, overlay)
    for rule in _by_kind(docs, "PrometheusRule").values():
        problems += check_alerts(rule, overlay)
    return problems


def check_topics_job(docs: list[dict], overlay: str = "k8s") -> list[str]:
    jobs = [j for j in _by_kind(docs, "Job").values()
            if any("/app/topics.py" in c.get("command", []) + c.get("args", []) for c in j["spec"]["template"]["spec"]["containers"])]
    if len(jobs) != 1:
        return [f"{overlay}: expected one Job running /app/topics.py, found {len(jobs)}"]
    container = jobs[0]["spec"]["template"]["spec"]["containers"][0]
    where = f"{overlay}: Job {jobs[0]['metadata']['name']}"
    problems = []
    if container.get("command") != ["python", "/app/topics.py"]:
        problems.append(f"{where}: runs {container.get('command')}, expected python /app/topics.py")
    image = container.get("image", "").split("@")[0].rsplit(":", 1)[0].rsplit("/", 1)[-1]
    if image not in SERVICES:
        problems.append(f"{where}: image {container.get('image')} is not a service image (which carry /app/topics.py)")
    env, env_problems = _container_env(container, _config_maps(docs))
    problems += [f"{where}: {p}" for p in env_problems]
    if not env.get("KAFKA_BOOTSTRAP_SERVERS"):
        problems.append(f"{where}: KAFKA_BOOTSTRAP_SERVERS not set")
    return problems + compare_topics(where, container.get("args", []))


def compare_topics(where: str, args: list[str]) -> list[str]:
    try:
        planned = topics_plan(args)
    except SystemExit as error:
        return [f"{where}: deploy/topics.py refuses {args}: {error}"]
    wanted = {t["name"]: t for t in registry_topics()}
    got = {t["name"]: t for t in planned}
    problems = []
    if set(got) != set(wanted):
        problems.append(f"{where}: provisions {sorted(set(got) ^ set(wanted))} unlike the registry")
    for name in set(got) & set(wanted):
        if got[name]["partitions"] != wanted[name]["partitions"]:
            problems.append(f"{where}: {name} gets {got[name]['partitions']} partitions, the registry says {wanted[name]['partitions']}")
        for key, value in wanted[name]["config"].items():
            if got[name]["config"].get(key) != value:
                problems.append(f"{where}: {name} gets {key}={got[name]['config'].get(key)}, the registry says {value}")
    return problems


def _runbook_anchors() -> set[str]:
    if not RUNBOOK.exists():
        return set()
    anchors = set()
    for line in RUNBOOK.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def check_alerts(rule: dict, where: str = "alerts") -> list[str]:
    problems = []
    metrics = exported_metrics()
    anchors = _runbook_anchors()
    recorded = {r["record"] for g in rule["spec"]["groups"] for r in g["rules"] if "record" in r}
    alerts = [r for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r]
    used: set[str] = set()
    for group in rule["spec"]["groups"]:
        for r in group["rules"]:
            name = r.get("alert") or r.get("record")
            for metric in re.findall(r"\b(billing_[a-z0-9_]+)\b", r["expr"]):
                used.add(metric)
                if metric not in metrics:
                    problems.append(f"{where}: {name} uses {metric}, which no service exports")
            for record in re.findall(r"\b(billing:[a-z0-9_:]+)\b", r["expr"]):
                if record not in recorded:
                    problems.append(f"{where}: {name} uses the recording rule {record}, which is not defined")
            if "alert" not in r:
                continue
            if r.get("labels", {}).get("severity") not in ("warning", "critical"):
                problems.append(f"{where}: {name} has no severity warning|critical")
            annotations = r.get("annotations", {})
            if not annotations.get("summary"):
                problems.append(f"{where}: {name} has no summary")
            anchor = annotations.get("runbook_url", "").partition("#")[2]
            if anchor not in anchors:
                problems.append(f"{where}: {name}'s runbook_url #{anchor} is not a heading of docs/runbook.md")
    for metric in ALERTED_METRICS - used:
        problems.append(f"{where}: no alert watches {metric}")
    if not alerts:
        problems.append(f"{where}: no alerts")
    return problems


def promql_expressions(docs: list[dict]) -> list[str]:
    return [r["expr"] for rule in _by_kind(docs, "PrometheusRule").values() for g in rule["spec"]["groups"] for r in g["rules"]]


# --------------------------------------------------------------------------------------------
# Compose


def _compose_env(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def _compose_argv(value: str | list | None) -> list[str]:
    if value is None:
        return []
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]


def _interpolated(value: str) -> str:
    """`${VAR:-default}` as compose would resolve it with VAR unset."""
    return re.sub(r"\$\{(\w+)(?::?-([^}]*))?\}", lambda m: m.group(2) or "", value)


def check_compose(compose: dict) -> list[str]:
    problems: list[str] = []
    services = compose.get("services", {})

    def need(name: str) -> dict:
        if name not in services:
            problems.append(f"compose: no service {name}")
            return {}
        return services[name]

    kafka = need("kafka")
    if kafka and kafka.get("image") != "apache/kafka:4.1.1":
        problems.append(f"compose: kafka runs {kafka.get('image')}, expected apache/kafka:4.1.1")
    if kafka and "controller" not in str(_compose_env(kafka).get("KAFKA_PROCESS_ROLES", "")):
        problems.append("compose: kafka is not in KRaft mode (KAFKA_PROCESS_ROLES without controller)")
    if kafka and _compose_env(kafka).get("KAFKA_AUTO_CREATE_TOPICS_ENABLE") != "false":
        problems.append("compose: kafka must not auto-create topics (they come from the registry)")
    postgres = need("postgres")
    if postgres and not str(postgres.get("image", "")).startswith("postgres:16"):
        problems.append(f"compose: postgres runs {postgres.get('image')}, expected postgres:16")
    init_mounted = any("init-databases.sql" in str(v) and "/docker-entrypoint-initdb.d" in str(v) for v in postgres.get("volumes", []))
    if postgres and not init_mounted:
        problems.append("compose: postgres does not mount deploy/postgres/init-databases.sql into /docker-entrypoint-initdb.d")
    created = set(re.findall(r"CREATE DATABASE (\w+)", POSTGRES_INIT.read_text())) if POSTGRES_INIT.exists() else set()
    mailpit = need("mailpit")
    if mailpit and "mailpit" not in str(mailpit.get("image", "")):
        problems.append("compose: the SMTP catcher is not Mailpit")
    need("stripe")

    topics = need("topics")
    if topics:
        if _compose_argv(topics.get("entrypoint")) != ["python", "/app/topics.py"]:
            problems.append(f"compose: topics runs {topics.get('entrypoint')}, expected python /app/topics.py")
        if topics.get("depends_on", {}).get("kafka", {}).get("condition") != "service_healthy":
            problems.append("compose: topics must wait for a healthy kafka")
        problems += compare_topics("compose: topics", _compose_argv(topics.get("command")))

    for service, port in SERVICES.items():
        for name, expect in ((f"{service}-migrate", "migrate"), (service, "all")):
            spec = need(name)
            if not spec:
                continue
            where = f"compose: {name}"
            if spec.get("entrypoint") is not None:
                problems.append(f"{where}: overrides the image's entrypoint (python -m {service})")
            build = spec.get("build") or {}
            args = build.get("args", {}) if isinstance(build, dict) else {}
            if str(spec.get("image", "")).split(":")[0] != f"billing-{service}" or args.get("SERVICE") != service:
                problems.append(f"{where}: runs image {spec.get('image')} built for {args.get('SERVICE')}, not {service}")
            if str(args.get("PORT")) != str(port):
                problems.append(f"{where}: builds with PORT={args.get('PORT')}, {service} serves {port}")
            env = {k: _interpolated(v) for k, v in _compose_env(spec).items()}
            problems += check_process(where, service, _compose_argv(spec.get("command")), env, expect)
            database = env.get("DATABASE_URL", "").rsplit("/", 1)[-1]
            if database != service or database not in created:
                problems.append(f"{where}: DATABASE_URL names database {database!r}; the init script creates {sorted(created)}")
            host = re.sub(r"^[\w+]+://(?:[^@/]*@)?", "", env.get("DATABASE_URL", "")).split(":")[0].split("/")[0]
            if host not in services:
                problems.append(f"{where}: DATABASE_URL points at {host!r}, no compose service")
            for broker in env.get("KAFKA_BOOTSTRAP_SERVERS", "").split(","):
                if broker.split(":")[0] not in services:
                    problems.append(f"{where}: KAFKA_BOOTSTRAP_SERVERS points at {broker!r}, no compose service")
            if expect == "all" and service == "payments" and "stripe" not in env.get("STRIPE_API_BASE", ""):
                problems.append(f"{where}: STRIPE_API_BASE does not point at the stripe emulator")
            if expect == "all" and service == "notifications" and env.get("SMTP_HOST") != "mailpit":
                problems.append(f"{where}: SMTP_HOST is {env.get('SMTP_HOST')!r}, not mailpit")
            depends = spec.get("depends_on", {})
            if expect == "all":
                ports = {str(p) for p in spec.get("ports", [])}
                if ports != {f"{port}:{port}"}:
                    problems.append(f"{where}: publishes {sorted(ports)}, expected {port}:{port}")
                for before in (f"{service}-migrate", "topics"):
                    if depends.get(before, {}).get("condition") != "service_completed_successfully":
                        problems.append(f"{where}: must start after {before} completed successfully")
            elif depends.get("postgres", {}).get("condition") != "service_healthy":
                problems.append(f"{where}: must wait for a healthy postgres")
    return problems


# --------------------------------------------------------------------------------------------
# Images


def _dockerignore_rules(text: str) -> list[tuple[bool, str]]:
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rules.append((line.startswith("!"), line.lstrip("!").rstrip("/")))
    return rules


def dockerignored(path: str, rules: list[tuple[bool, str]]) -> bool:
    """Whether the build context leaves `path` out (the last matching rule wins; a directory
    rule covers what is under it)."""
    ignored = False
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for include, pattern in rules:
        regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        if any(re.fullmatch(regex, p) for p in prefixes):
            ignored = not include
    return ignored


def check_dockerfile(stages: list[Stage], dockerignore: str | None = None) -> list[str]:
    problems: list[str] = []
    if len(stages) < 2:
        return [f"Dockerfile: {len(stages)} stage(s); build in one stage, run in another"]
    final = stages[-1]
    builder_names = {s.name for s in stages[:-1] if s.name}
    for stage in stages:
        if not any(re.fullmatch(r"SERVICE(=.*)?", a.args) for a in stage.all("ARG")):
            problems.append(f"Dockerfile: stage {stage.name or stage.base} does not declare ARG SERVICE")
    installs = [i.args for s in stages[:-1] for i in s.all("RUN") if re.search(r"\buv pip (sync|install)\b", i.args)]
    syncs = [command for command in installs if re.search(r"\buv pip sync\b", command)]
    if not syncs:
        problems.append("Dockerfile: the builder does not install the lock with `uv pip sync`")
    for command in syncs:
        if "--require-hashes" not in command:
            problems.append(f"Dockerfile: `{command}` lacks --require-hashes")
        if not re.search(r"locks/\$\{?SERVICE\}?\.txt", command):
            problems.append(f"Dockerfile: `{command}` does not install the service's own lock (locks/${{SERVICE}}.txt)")
    for command in installs:
        if "uv pip install" in command and "--no-deps" not in command:
            problems.append(f"Dockerfile: `{command}` lacks --no-deps (dependencies come from the lock alone)")
    if any(i.args.startswith("--from=") for i in final.all("COPY")):
        for i in final.all("COPY"):
            source = re.match(r"--from=(\S+)", i.args)
            if source and source.group(1) not in builder_names:
                problems.append(f"Dockerfile: the final stage copies from {source.group(1)}, not a build stage")
    else:
        problems.append("Dockerfile: the final stage copies nothing from the builder (not multi-stage)")

    # Packages copied: exactly the workspace packages in the lock closure of each service.
    members = workspace_members()
    copied = {re.sub(r"^--\S+\s+", "", i.args).split()[0] for s in stages for i in s.all("COPY") if "--from" not in i.args}
    for service in SERVICES:
        closure = lock_closure(f"billing-{service}")
        needed = {members[m] for m in closure if m in members}
        packages = {c.replace("${SERVICE}", service).replace("$SERVICE", service).rstrip("/") for c in copied}
        packages &= set(members.values())
        if packages != needed:
            problems.append(f"Dockerfile: for {service} copies packages {sorted(packages)}, its lock closure needs {sorted(needed)}")
        others = {f"billing-{o}" for o in SERVICES if o != service} | {"billing-devstack"}
        if closure & others:
            problems.append(f"Dockerfile: billing-{service} depends on {sorted(closure & others)}")
        test_tools = {"pytest", "pytest-asyncio", "testcontainers", "pgserver", "localstripe"} & closure
        if test_tools:
            problems.append(f"Dockerfile: billing-{service} pulls {sorted(test_tools)} into its image")
    if any(c in (".", "./") for c in copied):
        problems.append("Dockerfile: copies the whole context (COPY .)")

    users = final.all("USER")
    if not users or users[-1].args.split(":")[0] in ("root", "0"):
        problems.append("Dockerfile: the final stage must switch to a non-root USER")
    healthchecks = final.all("HEALTHCHECK")
    if not healthchecks or "/healthz" not in healthchecks[-1].args or "/healthz" not in health_paths():
        problems.append("Dockerfile: no HEALTHCHECK on /healthz")
    entrypoint = " ".join(i.args for i in final.all("ENTRYPOINT"))
    if not re.search(r"python -m \\?\"?\$\{?SERVICE", entrypoint):
        problems.append(f"Dockerfile: the ENTRYPOINT does not run `python -m $SERVICE`: {entrypoint}")
    if not any("${PORT}" in i.args or "$PORT" in i.args for i in final.all("EXPOSE")):
        problems.append("Dockerfile: EXPOSE is not the service's port (ARG PORT)")
    env_names = set()
    for i in final.all("ENV"):
        env_names |= set(re.findall(r"(?:^|\s)([A-Z_][A-Z0-9_]*)=", i.args))
    settings = set().union(*(setting_names(c) for c in settings_classes().values())) | otel_variables()
    for name in sorted(env_names - settings - {"PATH", "SERVICE"} - {n for n in env_names if n.startswith("PYTHON")}):
        problems.append(f"Dockerfile: ENV {name} is no setting of the services")
    if not re.search(r"HTTP_HOST=0\.0\.0\.0", " ".join(i.args for i in final.all("ENV"))):
        problems.append("Dockerfile: HTTP_HOST must be 0.0.0.0 in a container")
    if "COPY deploy/topics.py /app/topics.py" not in {f"COPY {i.args}" for i in final.all("COPY")}:
        problems.append("Dockerfile: the image does not carry deploy/topics.py as /app/topics.py")

    if dockerignore is not None:
        rules = _dockerignore_rules(dockerignore)
        for source in sorted(copied):
            for service in SERVICES:
                path = source.replace("${SERVICE}", service).rstrip("/")
                # A package folder is sent as its metadata and sources, nothing else of it.
                wanted = [f"{path}/pyproject.toml", f"{path}/src"] if (REPO / path).is_dir() else [path]
                for part in wanted:
                    if dockerignored(part, rules):
                        problems.append(f".dockerignore: leaves out {part}, which the Dockerfile copies")
                if not (REPO / path).exists():
                    problems.append(f"Dockerfile: copies {path}, which does not exist")
        for private in (".state", ".venv", ".git", "tests"):
            if not dockerignored(private, rules):
                problems.append(f".dockerignore: sends {private}/ to the build")
    return problems


# --------------------------------------------------------------------------------------------
# Schemas (run in the tool virtualenv)


def validate_schemas(kubernetes: dict[str, list[dict]], compose: dict, promql: list[str]) -> list[str]:
    """Runs this file in the deploy-check virtualenv, where the schema packages are."""
    python = tool_python()
    if not Path(python).exists():
        raise ToolMissing(f"the deploy-check virtualenv is not at {python}; `make deploy-check` creates it")
    schema = compose_schema_path()
    if not schema.exists():
        raise ToolMissing(f"the Compose Specification schema is not at {schema}; `make deploy-check` fetches it")
    payload = json.dumps({"kubernetes": kubernetes, "compose": compose, "compose_schema": str(schema), "promql": promql,
                          "version": KUBERNETES_VERSION})
    done = subprocess.run([python, __file__, "--schemas-from-stdin"], input=payload, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"schema validation crashed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def _schemas_worker() -> None:
    import jsonschema
    import kubernetes_validate
    import promql_parser

    payload = json.load(sys.stdin)
    problems = []
    for overlay, docs in payload["kubernetes"].items():
        for doc in docs:
            what = f"{overlay}: {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            if doc.get("apiVersion", "").startswith("monitoring.coreos.com/"):
                continue  # Prometheus Operator kinds: not Kubernetes' schemas; check_alerts covers them
            try:
                kubernetes_validate.validate(doc, payload["version"], strict=True)
            except kubernetes_validate.ValidationError as error:
                problems.append(f"{what}: {'.'.join(str(p) for p in error.path)}: {error.message}")
            except Exception as error:  # noqa: BLE001 - unknown kind or version
                problems.append(f"{what}: {error}")
    schema = json.loads(Path(payload["compose_schema"]).read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    for error in sorted(validator.iter_errors(payload["compose"]), key=lambda e: list(e.path)):
        problems.append(f"compose: {'.'.join(str(p) for p in error.path)}: {error.message}")
    for expr in payload["promql"]:
        try:
            promql_parser.parse(expr)
        except Exception as error:  # noqa: BLE001 - the parser's own error
            problems.append(f"alerts: `{expr.strip()}` is not PromQL: {error}")
    json.dump(problems, sys.stdout)


# --------------------------------------------------------------------------------------------


def run_all() -> list[str]:
    rendered = {name: render(path) for name, path in KUSTOMIZATIONS.items()}
    compose = load_compose()
    problems = validate_schemas(rendered, compose, promql_expressions(rendered["production"]))
    for name, docs in rendered.items():
        problems += check_kubernetes(docs, name)
    if not _by_kind(rendered["production"], "PrometheusRule"):
        problems.append("production: no PrometheusRule with the alerts")
    problems += check_compose(compose)
    problems += check_dockerfile(load_dockerfile(), DOCKERIGNORE.read_text())
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas-from-stdin", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.schemas_from_stdin:
        _schemas_worker()
        return 0
    try:
        problems = run_all()
    except ToolMissing as error:
        print(f"deploy-check: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if problems:
        print(f"deploy-check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"deploy-check: Kubernetes ({', '.join(KUSTOMIZATIONS)}), compose and Dockerfile are valid and true to the code")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
