"""A message sent through the real SMTP server, read back from its mailbox."""

import smtplib
import uuid
from email.message import EmailMessage


def test_a_message_sent_over_smtp_is_read_back_with_its_envelope(stack, mailbox):
    subject = f"Action required: invoice INV-{uuid.uuid4().hex[:6]}"
    message = EmailMessage()
    message["From"] = "billing@example.com"
    message["To"] = "owner@example.com"
    message["Subject"] = subject
    message.set_content("Your payment of $12.34 failed.")
    message.add_alternative("<p>Your payment of <b>$12.34</b> failed.</p>", subtype="html")

    with smtplib.SMTP(stack.smtp_host, stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(message, to_addrs=["owner@example.com", "hidden-admin@example.com"])

    received = mailbox.wait_for(lambda m: m["Subject"] == subject)
    assert received["From"] == "billing@example.com"
    assert received.get_body(("plain",)).get_content().strip() == "Your payment of $12.34 failed."
    assert "<b>$12.34</b>" in received.get_body(("html",)).get_content()
    # Recipients outside the headers (Bcc) are known from the envelope the server kept.
    assert [m["Subject"] for m in mailbox.sent_to("hidden-admin@example.com")].count(subject) == 1
