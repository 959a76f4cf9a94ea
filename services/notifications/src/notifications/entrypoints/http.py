from fastapi import FastAPI

from billing_runtime.service import create_service_app

from notifications.bootstrap import bootstrap
from notifications.settings import NotificationsSettings


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    return create_service_app(bootstrap(settings or NotificationsSettings()))
