from typing import ClassVar

from billing_runtime.settings import LOCAL_POSTGRES, ServiceSettings
from pydantic import model_validator

from payments.domain.retries import DEFAULT_RETRY_HOURS, RetrySchedule


class PaymentsSettings(ServiceSettings):
    uses_stripe: ClassVar[bool] = True

    service_name: str = "payments"
    http_port: int = 8002
    database_url: str = f"{LOCAL_POSTGRES}/payments"
    payments_retry_schedule_hours: list[float] = list(DEFAULT_RETRY_HOURS)
    """`PAYMENTS_RETRY_SCHEDULE_HOURS`, a JSON list: hours after a charge's first failure at which
    it is retried, increasing (its length is the number of retries)."""

    @model_validator(mode="after")
    def _schedule_is_valid(self) -> "PaymentsSettings":
        RetrySchedule.of_hours(self.payments_retry_schedule_hours)  # raises ValueError unless positive, increasing
        return self

    @property
    def retry_schedule(self) -> RetrySchedule:
        return RetrySchedule.of_hours(self.payments_retry_schedule_hours)
