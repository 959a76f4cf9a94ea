"""The deployment manifests are valid and true to the code (deploy/check.py does the work).

The first half checks the real files; the second half feeds the same checks modified copies
(a wrong port, an unknown variable, a literal secret, ...) and expects each to be caught, so a
check that silently passes everything cannot go unnoticed.

Needs the tools `make deploy-check` installs (kustomize, the deploy-check virtualenv, the
Compose Specification schema); it fails, naming the command, when they are missing.
"""

import copy
import importlib.util
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("billing_deploy_check", REPO / "deploy" / "check.py")
check = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = check  # dataclasses look their module up there
_spec.loader.exec_module(check)

SERVICES = check.SERVICES


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    try:
        return {name: check.render(path) for name, path in check.KUSTOMIZATIONS.items()}
    except check.ToolMissing as error:
        pytest.fail(f"{error} (run `make deploy-check`)")


@pytest.fixture(scope="module")
def compose() -> dict:
    return check.load_compose()


@pytest.fixture(scope="module")
def stages() -> list:
    return check.load_dockerfile()


def schema_problems(kubernetes: dict, compose: dict, promql: list[str]) -> list[str]:
    try:
        return check.validate_schemas(kubernetes, compose, promql)
    except check.ToolMissing as error:
        pytest.fail(f"{error} (run `make deploy-check`)")


def find(docs: list[dict], kind: str, name: str) -> dict:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def container(docs: list[dict], deployment: str) -> dict:
    return find(docs, "Deployment", deployment)["spec"]["template"]["spec"]["containers"][0]


def config_map(docs: list[dict], prefix: str) -> dict:
    return next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith(prefix + "-"))


# ------------------------------------------------------------------------------------------
# The real files


def test_every_rendered_object_and_the_compose_file_match_their_schemas(rendered, compose):
    assert schema_problems(rendered, compose, check.promql_expressions(rendered["production"])) == []


@pytest.mark.parametrize("overlay", list(check.KUSTOMIZATIONS))
def test_kubernetes_manifests_are_true_to_the_code(rendered, overlay):
    assert check.check_kubernetes(rendered[overlay], overlay) == []


def test_each_service_runs_an_http_and_a_consumer_deployment_with_its_own_port(rendered):
    docs = rendered["production"]
    for service, port in SERVICES.items():
        for role in check.ROLES:
            c = container(docs, f"{service}-{role}")
            assert c["args"] == ["serve", "--role", role, "--port", str(port)]
            assert c["ports"][0]["containerPort"] == port


def test_secrets_come_by_reference(rendered):
    for service in SERVICES:
        env = {v["name"]: v for v in container(rendered["production"], f"{service}-http")["env"]}
        assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == f"{service}-database"
        assert env["JWT_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "billing-jwt"
    payments = {v["name"]: v for v in container(rendered["production"], "payments-http")["env"]}
    assert {"STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET"} <= {n for n, v in payments.items() if "secretKeyRef" in v.get("valueFrom", {})}
    notifications = {v["name"]: v for v in container(rendered["production"], "notifications-consumer")["env"]}
    assert "secretKeyRef" in notifications["SMTP_PASSWORD"]["valueFrom"]


def test_the_topics_job_provisions_exactly_the_registry(rendered):
    from billing_contracts import TOPICS

    job = find(rendered["production"], "Job", "billing-topics")["spec"]["template"]["spec"]["containers"][0]
    planned = check.topics_plan(job["args"])
    assert [(t["name"], t["partitions"]) for t in planned] == [(t.name, t.partitions) for t in TOPICS]
    assert all(p["config"].items() >= t.config().items() for p, t in zip(planned, TOPICS, strict=True))
    assert {p["replication_factor"] for p in planned} == {3}


def test_compose_is_true_to_the_code(compose):
    assert check.check_compose(compose) == []


def test_dockerfile_builds_each_service_from_its_own_package_only(stages):
    assert check.check_dockerfile(stages, check.DOCKERIGNORE.read_text()) == []


@pytest.mark.parametrize("service", list(SERVICES))
def test_an_image_holds_only_its_service_of_the_workspace(service):
    members = set(check.workspace_members())
    assert check.lock_closure(f"billing-{service}") & members == {f"billing-{service}", "billing-runtime", "billing-contracts"}


def test_alerts_cover_lag_outbox_dead_letters_5xx_and_readiness(rendered):
    rule = find(rendered["production"], "PrometheusRule", "billing")
    names = {r["alert"] for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r}
    assert {"BillingConsumerLagHigh", "BillingOutboxBacklogOld", "BillingDeadLetters", "BillingHttp5xxRate",
            "BillingNotReady"} <= names


# ------------------------------------------------------------------------------------------
# Modified copies must be caught


def problems_after(rendered, change) -> list[str]:
    docs = copy.deepcopy(rendered["production"])
    change(docs)
    return check.check_kubernetes(docs, "modified")


def test_a_wrong_container_port_is_caught(rendered):
    def change(docs):
        container(docs, "invoicing-http")["ports"][0]["containerPort"] = 8080
    assert any("invoicing-http" in p and "8080" in p for p in problems_after(rendered, change))


def test_a_wrong_serve_port_is_caught(rendered):
    def change(docs):
        container(docs, "payments-consumer")["args"][-1] = "9000"
    assert any("payments-consumer" in p and "port 9000" in p for p in problems_after(rendered, change))


def test_an_unknown_role_is_refused_by_the_cli(rendered):
    def change(docs):
        container(docs, "accounts-consumer")["args"][2] = "worker"
    assert any("accounts-consumer" in p and "refused by the CLI" in p for p in problems_after(rendered, change))


def test_a_variable_the_settings_do_not_know_is_caught(rendered):
    def change(docs):
        config_map(docs, "notifications-config")["data"]["SMTP_PASWORD_FILE"] = "/run/smtp"
    found = problems_after(rendered, change)
    assert any("notifications-http" in p and "no setting for SMTP_PASWORD_FILE" in p for p in found)


def test_the_opentelemetry_variables_are_known_and_checked_by_the_code(rendered):
    def misspelt(docs):
        config_map(docs, "billing-config")["data"]["OTEL_EXPORTER_OTLP_ENDPIONT"] = "http://collector:4318"
    assert any("no setting for OTEL_EXPORTER_OTLP_ENDPIONT" in p for p in problems_after(rendered, misspelt))

    def grpc(docs):
        config_map(docs, "billing-config")["data"]["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc"
    assert any("invoicing-consumer" in p and "OTEL_EXPORTER_OTLP_PROTOCOL='grpc'" in p for p in problems_after(rendered, grpc))
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in config_map(rendered["production"], "billing-config")["data"]


def test_a_missing_required_variable_is_caught(rendered):
    def change(docs):
        c = container(docs, "accounts-http")
        c["env"] = [v for v in c["env"] if v["name"] != "DATABASE_URL"]
    assert any("accounts-http" in p and "DATABASE_URL not set" in p for p in problems_after(rendered, change))


def test_a_value_the_settings_refuse_is_caught(rendered):
    def change(docs):
        config_map(docs, "payments-config")["data"]["PAYMENTS_RETRY_SCHEDULE_HOURS"] = "[72, 24]"
    assert any("payments-http" in p and "settings refuse" in p for p in problems_after(rendered, change))


def test_a_literal_secret_is_caught(rendered):
    def change(docs):
        for v in container(docs, "payments-http")["env"]:
            if v["name"] == "STRIPE_API_KEY":
                v.pop("valueFrom")
                v["value"] = "sk_test_local_emulator"
    found = problems_after(rendered, change)
    assert any("STRIPE_API_KEY must come from a secretKeyRef" in p for p in found)
    assert any("development defaults are refused in production" in p for p in found)


def test_a_probe_on_a_path_the_service_does_not_serve_is_caught(rendered):
    def change(docs):
        container(docs, "notifications-http")["readinessProbe"]["httpGet"]["path"] = "/ready"
    assert any("readinessProbe asks /ready" in p for p in problems_after(rendered, change))


def test_a_consumer_autoscaler_on_an_unknown_metric_is_caught(rendered):
    def change(docs):
        find(docs, "HorizontalPodAutoscaler", "invoicing-consumer")["spec"]["metrics"][0]["external"]["metric"]["name"] = "kafka_lag"
    found = problems_after(rendered, change)
    assert any("must scale on billing_consumer_lag" in p for p in found)
    assert any("uses kafka_lag, which no service exports" in p for p in found)


def test_a_service_selecting_the_consumers_is_caught(rendered):
    def change(docs):
        del find(docs, "Service", "accounts")["spec"]["selector"]["app.kubernetes.io/component"]
    assert any("also selects the consumers" in p for p in problems_after(rendered, change))


def test_a_missing_migration_is_caught(rendered):
    def change(docs):
        find(docs, "Deployment", "invoicing-http")["spec"]["template"]["spec"]["initContainers"] = []
    assert any("initContainer running `migrate`" in p for p in problems_after(rendered, change))


def test_topics_unlike_the_registry_are_caught(rendered):
    def change(docs):
        job = find(docs, "Job", "billing-topics")["spec"]["template"]["spec"]["containers"][0]
        job["args"] += ["--config", "cleanup.policy=delete"]
    assert any("billing_account.changed gets cleanup.policy=delete" in p for p in problems_after(rendered, change))


def test_an_alert_on_a_metric_nobody_exports_is_caught(rendered):
    rule = copy.deepcopy(find(rendered["production"], "PrometheusRule", "billing"))
    for r in rule["spec"]["groups"][1]["rules"]:
        r["expr"] = r["expr"].replace("billing_outbox_oldest_age_seconds", "billing_outbox_age_seconds")
    found = check.check_alerts(rule)
    assert any("billing_outbox_age_seconds, which no service exports" in p for p in found)
    assert any("no alert watches billing_outbox_oldest_age_seconds" in p for p in found)


def test_compose_with_a_wrong_port_or_an_unknown_variable_is_caught(compose):
    modified = copy.deepcopy(compose)
    modified["services"]["invoicing"]["ports"] = ["8030:8003"]
    modified["services"]["accounts"]["environment"]["ACCOUNTS_DATABASE_URL"] = "postgresql+psycopg://x@postgres/accounts"
    modified["services"]["payments"]["command"] = ["serve", "--role", "all", "--port", "8001"]
    found = check.check_compose(modified)
    assert any("compose: invoicing: publishes ['8030:8003']" in p for p in found)
    assert any("compose: accounts: accounts has no setting for ACCOUNTS_DATABASE_URL" in p for p in found)
    assert any("compose: payments: serves on port 8001" in p for p in found)


def test_compose_with_a_database_the_init_script_does_not_create_is_caught(compose):
    modified = copy.deepcopy(compose)
    modified["services"]["notifications-migrate"]["environment"]["DATABASE_URL"] = "postgresql+psycopg://n:n@postgres:5432/mail"
    assert any("names database 'mail'" in p for p in check.check_compose(modified))


def test_a_dockerfile_copying_another_service_or_running_as_root_is_caught():
    text = check.DOCKERFILE.read_text()
    text = text.replace("COPY services/${SERVICE} services/${SERVICE}",
                        "COPY services/${SERVICE} services/${SERVICE}\nCOPY services/accounts services/accounts")
    text = text.replace("USER 10001:10001", "USER root")
    text = text.replace("--require-hashes", "")
    found = check.check_dockerfile(check.parse_dockerfile(text), check.DOCKERIGNORE.read_text())
    assert any("for payments copies packages" in p and "services/accounts" in p for p in found)
    assert any("non-root USER" in p for p in found)
    assert any("lacks --require-hashes" in p for p in found)


def test_a_dockerignore_that_leaves_out_the_sources_or_sends_the_state_is_caught(stages):
    found = check.check_dockerfile(stages, "runtime/\n")
    assert any(".dockerignore: leaves out runtime/src" in p for p in found)
    assert any(".dockerignore: sends .state/" in p for p in found)


def test_schema_violations_are_caught(rendered, compose):
    docs = copy.deepcopy(rendered["production"])
    find(docs, "HorizontalPodAutoscaler", "accounts-http")["spec"]["minReplicas"] = "three"
    container(docs, "accounts-http")["livenessProbe"]["httpGet"]["paht"] = "/healthz"
    broken_compose = copy.deepcopy(compose)
    broken_compose["services"]["kafka"]["restart_policy"] = "always"  # `restart`, in compose
    found = schema_problems({"modified": docs}, broken_compose, ["sum by (service (rate(billing_dead_letters_total[5m]))"])
    assert any(re.search(r"HorizontalPodAutoscaler/accounts-http: spec.minReplicas", p) for p in found)
    assert any("Deployment/accounts-http" in p and "paht" in p for p in found)
    assert any(p.startswith("compose: services.kafka") and "restart_policy" in p for p in found)
    assert any(p.startswith("alerts:") for p in found)


def test_the_dockerfile_parser_joins_continuations_and_splits_stages():
    stages = check.parse_dockerfile("# c\nARG X=1\nFROM a AS b\nRUN one \\\n  two\nFROM c\nUSER 1\n")
    assert [(s.base, s.name) for s in stages] == [("a", "b"), ("c", None)]
    assert stages[0].all("RUN")[0].args == "one    two"
    assert stages[0].all("ARG")[0].args == "X=1"
