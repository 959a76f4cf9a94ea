from billing_runtime.settings import LOCAL_POSTGRES, ServiceSettings


class NotificationsSettings(ServiceSettings):
    service_name: str = "notifications"
    http_port: int = 8004
    database_url: str = f"{LOCAL_POSTGRES}/notifications"
