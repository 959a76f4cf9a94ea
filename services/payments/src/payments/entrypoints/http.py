from fastapi import FastAPI

from billing_runtime.service import create_service_app

from payments.bootstrap import bootstrap
from payments.settings import PaymentsSettings


def create_app(settings: PaymentsSettings | None = None) -> FastAPI:
    return create_service_app(bootstrap(settings or PaymentsSettings()))
