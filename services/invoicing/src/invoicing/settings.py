from billing_runtime.settings import LOCAL_POSTGRES, ServiceSettings


class InvoicingSettings(ServiceSettings):
    service_name: str = "invoicing"
    http_port: int = 8003
    database_url: str = f"{LOCAL_POSTGRES}/invoicing"
