from datetime import timedelta

import pytest
from billing_runtime.service import build_runtime
from billing_runtime.settings import LOCAL_STRIPE_EMULATOR, ServiceSettings
from pydantic import ValidationError


def test_development_defaults_point_at_the_local_stack(monkeypatch):
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "STRIPE_API_BASE", "STRIPE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = ServiceSettings()
    assert settings.kafka_bootstrap_servers == "127.0.0.1:19092"
    assert settings.stripe_endpoint == LOCAL_STRIPE_EMULATOR


def test_the_environment_names_of_the_design_card_are_read(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/accounts")
    monkeypatch.setenv("STRIPE_API_BASE", "http://stripe:8420")
    monkeypatch.setenv("SMTP_HOST", "mail")
    monkeypatch.setenv("SMTP_PORT", "2525")
    settings = ServiceSettings()
    assert (settings.kafka_bootstrap_servers, settings.database_url) == ("kafka:9092", "postgresql+psycopg://u@db/accounts")
    assert (settings.stripe_endpoint, settings.smtp_host, settings.smtp_port) == ("http://stripe:8420", "mail", 2525)


def test_production_refuses_development_secrets():
    with pytest.raises(ValidationError, match="set JWT_SECRET: development defaults"):
        ServiceSettings(environment="production")


def test_production_refuses_development_stripe_secrets_where_stripe_is_used(monkeypatch):
    monkeypatch.delenv("STRIPE_API_BASE", raising=False)
    class StripeUsingSettings(ServiceSettings):
        uses_stripe = True

    with pytest.raises(ValidationError, match="JWT_SECRET, STRIPE_WEBHOOK_SECRET, STRIPE_API_KEY"):
        StripeUsingSettings(environment="production")
    assert StripeUsingSettings(environment="production", jwt_secret="s" * 32, stripe_webhook_secret="whsec_x",
                               stripe_api_key="sk_live_x").stripe_endpoint is None


def test_production_starts_with_real_secrets(monkeypatch):
    monkeypatch.delenv("STRIPE_API_BASE", raising=False)
    settings = ServiceSettings(
        environment="production", jwt_secret="s" * 32, stripe_webhook_secret="whsec_x", stripe_api_key="sk_live_x"
    )
    assert settings.stripe_endpoint is None


def test_the_outbox_keeps_published_rows_as_long_as_the_environment_says(monkeypatch, tmp_path):
    assert build_runtime(ServiceSettings(), tmp_path).relay.kept == timedelta(days=7)
    monkeypatch.setenv("OUTBOX_RETENTION_DAYS", "2.5")
    assert build_runtime(ServiceSettings(), tmp_path).relay.kept == timedelta(days=2.5)
    monkeypatch.setenv("OUTBOX_RETENTION_DAYS", "0")
    with pytest.raises(ValidationError, match="greater than 0"):
        ServiceSettings()
