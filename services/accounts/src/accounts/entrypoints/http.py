from fastapi import FastAPI

from billing_runtime.service import create_service_app

from accounts.bootstrap import bootstrap
from accounts.settings import AccountsSettings


def create_app(settings: AccountsSettings | None = None) -> FastAPI:
    return create_service_app(bootstrap(settings or AccountsSettings()))
