"""A real SMTP server (aiosmtpd) that keeps every message it accepts in a Maildir.

Tests read the messages with `Mailbox`; a person reads them with `make mail` or any mail
client that opens a Maildir. The envelope (who it was really sent to) is kept in
`X-Envelope-From` and `X-Envelope-To` headers, since Bcc recipients leave no other trace.

Run as `python -m devstack.mailbox --port P --maildir DIR`.
"""

import argparse
import asyncio
import email
import email.policy
import mailbox
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class MaildirHandler:
    def __init__(self, maildir: Path) -> None:
        self.maildir = mailbox.Maildir(maildir, create=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.original_content or b"", policy=email.policy.SMTP)
        message["X-Envelope-From"] = envelope.mail_from or ""
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.maildir.add(message.as_bytes())
        return "250 Message accepted for delivery"


class Mailbox:
    """What the SMTP server received, newest last."""

    def __init__(self, maildir: Path) -> None:
        self.path = maildir

    def messages(self) -> list[EmailMessage]:
        if not (self.path / "new").exists():
            return []
        parsed = [
            (entry.stat().st_mtime_ns, entry.name, email.message_from_bytes(entry.read_bytes(), policy=email.policy.default))
            for folder in ("new", "cur")
            for entry in (self.path / folder).iterdir()
        ]
        return [message for _, _, message in sorted(parsed, key=lambda item: item[:2])]

    def sent_to(self, address: str) -> list[EmailMessage]:
        wanted = address.lower()
        return [
            message
            for message in self.messages()
            if wanted in (a.strip().lower() for a in str(message["X-Envelope-To"] or "").split(","))
        ]

    def wait_for(self, predicate: Callable[[EmailMessage], bool], timeout: float = 10.0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages():
                if predicate(message):
                    return message
            time.sleep(0.1)
        raise TimeoutError(f"no matching message arrived in {self.path} within {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args()
    controller = Controller(MaildirHandler(args.maildir), hostname="127.0.0.1", port=args.port)
    controller.start()
    try:
        asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
