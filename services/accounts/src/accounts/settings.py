from billing_runtime.settings import LOCAL_POSTGRES, ServiceSettings


class AccountsSettings(ServiceSettings):
    service_name: str = "accounts"
    http_port: int = 8001
    database_url: str = f"{LOCAL_POSTGRES}/accounts"

    account_deletion_grace_seconds: float = 3600.0
    """How long a deletion request stays pending (and can be cancelled) before the account may close."""
    account_closing_interval_seconds: float = 10.0
    """How often accounts awaiting deletion are looked at."""
