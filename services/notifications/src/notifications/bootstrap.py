"""Composition root of the notifications service."""

from functools import partial
from pathlib import Path

from billing_runtime.clock import Clock, SystemClock
from billing_runtime.service import ServiceRuntime, build_runtime

from notifications.adapters.smtp_mailer import SmtpMailer
from notifications.domain.mail import Mailer
from notifications.entrypoints import stream
from notifications.entrypoints.held_events_sweeper import held_events_sweeper
from notifications.entrypoints.mail_sender import MailSender
from notifications.settings import NotificationsSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(settings: NotificationsSettings, mailer: Mailer | None = None, clock: Clock | None = None) -> ServiceRuntime:
    clock = clock or SystemClock()
    runtime = build_runtime(settings, MIGRATIONS, partial(stream.subscribe, settings=settings, clock=clock))
    sender = MailSender(runtime.engine, mailer or SmtpMailer.from_settings(settings), clock, settings.mail_poll_interval)
    sweeper = held_events_sweeper(runtime.engine, clock, settings.held_event_max_age, settings.held_event_sweep_interval)
    runtime.workers.extend([sender.run, sweeper])
    return runtime
