from billing_runtime.settings import LOCAL_POSTGRES, ServiceSettings


class PaymentsSettings(ServiceSettings):
    service_name: str = "payments"
    http_port: int = 8002
    database_url: str = f"{LOCAL_POSTGRES}/payments"
