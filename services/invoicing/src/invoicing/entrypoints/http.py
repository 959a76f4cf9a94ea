from fastapi import FastAPI

from billing_runtime.service import create_service_app

from invoicing.bootstrap import bootstrap
from invoicing.settings import InvoicingSettings


def create_app(settings: InvoicingSettings | None = None) -> FastAPI:
    return create_service_app(bootstrap(settings or InvoicingSettings()))
