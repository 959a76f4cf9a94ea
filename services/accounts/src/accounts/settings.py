from billing_runtime.settings import LOCAL_POSTGRES, ServiceSettings


class AccountsSettings(ServiceSettings):
    service_name: str = "accounts"
    http_port: int = 8001
    database_url: str = f"{LOCAL_POSTGRES}/accounts"
