"""`email`: aiosmtplib with STARTTLS or implicit TLS; plain text + HTML; Message-ID is the notification id."""

from __future__ import annotations

import html
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import aiosmtplib

from daemon.alerts.channels.base import Kind, Outcome, Sessions
from daemon.alerts.channels.text import body, members, title
from daemon.alerts.escape import one_line
from daemon.alerts.identity import message_id
from daemon.alerts.settings import EmailReceiver


def build(receiver: EmailReceiver, row: dict[str, Any], domain: str) -> EmailMessage:
    """The message for one notification."""
    p, lang = row["payload"], receiver.language
    msg = EmailMessage()
    # A line break in a header would end it (header injection; Python refuses and the send would fail).
    msg["Subject"] = one_line(title(p, lang))
    msg["From"] = receiver.sender
    msg["To"] = ", ".join(receiver.to)
    msg["Date"] = formatdate(usegmt=True)
    # Stable across retries, so mail systems can drop a duplicate delivery; the install id in it keeps
    # two installations' "first alert" apart.
    msg["Message-ID"] = message_id(row, domain)
    alerts = members(p)
    if "alerts" in p:  # a group: one mail listing each alert
        text = "\n\n".join(f"{title(a, lang)}\n{body(a, lang)}" for a in alerts)
    else:
        text = body(p, lang)
    msg.set_content(text)
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in p["labels"].items()
    )
    msg.add_alternative(
        f"<h3>{html.escape(title(p, lang))}</h3><p>{html.escape(text).replace(chr(10), '<br>')}</p>"
        f"<table>{rows}</table>",
        subtype="html",
    )
    return msg


class EmailChannel:
    """One message per notification."""

    max_batch = 1

    def __init__(self, receiver: EmailReceiver, domain: str) -> None:
        self.receiver = receiver
        self.domain = domain
        host, _, port = receiver.smarthost.rpartition(":")
        self.host, self.port = (host or receiver.smarthost), int(port) if port.isdigit() else 587
        self.rate_key = f"smtp://{receiver.smarthost}"

    def tls_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.receiver.ca_file)
        if not self.receiver.validate_certs:
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        return ctx

    async def send(self, rows: list[dict[str, Any]], sessions: Sessions) -> Outcome:
        """Send; SMTP 4yz is retried, 5yz is permanent (RFC 5321)."""
        r = self.receiver
        try:
            await aiosmtplib.send(
                build(r, rows[0], self.domain),
                hostname=self.host,
                port=self.port,
                username=r.username,
                password=r.password.get_secret_value() if r.password else None,
                use_tls=r.tls == "implicit",
                start_tls=r.tls == "starttls",
                tls_context=self.tls_context() if r.tls != "none" else None,
                timeout=r.timeout,
            )
        except aiosmtplib.SMTPResponseException as exc:
            kind: Kind = "retry" if 400 <= exc.code < 500 else "permanent"
            return Outcome(kind, exc.code, f"SMTP {exc.code}: {exc.message}"[:200])
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            return Outcome("retry", None, f"{type(exc).__name__}: {exc}"[:200])
        return Outcome("sent", 250)
