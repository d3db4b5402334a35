"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, recording every message it accepts.

It can refuse given recipients with a 550 (as a mail system does for an unknown mailbox) and be
stopped and started again on the same port (the mail server is down, then back).
"""

from __future__ import annotations

import email
import email.policy
import logging
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO: keep failure reports readable.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Received:
    """One message as the server took it: the envelope it accepted and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]  # the recipients the server accepted, lower case, sorted
    message: EmailMessage

    @property
    def subject(self) -> str:
        # Django folds a long encoded subject onto a continuation line; unfolded it starts with a space.
        return str(self.message["Subject"]).strip()

    @property
    def to(self) -> tuple[str, ...]:
        """The To header's addresses (all the sender meant, refused ones included)."""
        return tuple(sorted(a.addr_spec.lower() for a in self.message["To"].addresses))

    @property
    def body(self) -> str:
        return self.message.get_content()


class Recorder:
    """The aiosmtpd handler."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self.refused: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refused:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        received = Received(envelope.mail_from, tuple(sorted(a.lower() for a in envelope.rcpt_tos)), message)
        with self._lock:
            self._received.append(received)
        return "250 Message accepted for delivery"

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.handler = Recorder()
        self._controller: Controller | None = None

    # -- running -----------------------------------------------------------

    def start(self) -> None:
        assert self._controller is None, "already running"
        # A stopped controller's event loop is closed: every start gets a new controller, same port.
        controller = Controller(self.handler, hostname=self.host, port=self.port, ready_timeout=10)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Close the listening socket: a client now gets "connection refused"."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def refuse(self, *addresses: str) -> None:
        """Answer RCPT TO for these addresses with 550; an empty call accepts everyone again."""
        self.handler.refused = {a.lower() for a in addresses}

    # -- what arrived ------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def by_recipients(self) -> Counter:
        """How many messages each set of accepted recipients got."""
        return Counter(r.rcpt_tos for r in self.received)

    def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received


def use(settings, server: SmtpServer) -> None:
    """Point Django's e-mail at the server (through pytest-django's ``settings`` fixture)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10


# ---------------------------------------------------------------------------
# A scenario: reports eight days overdue, and people with addresses to e-mail
# ---------------------------------------------------------------------------


@dataclass
class Overdue:
    """What the scenario sets up, and the digests a sweep must e-mail: name → accepted recipients."""

    period: object
    agency_a: object  # bob's, with hank as head and a contact mailbox
    agency_b: object  # charlie's, no head and no mailbox
    digests: dict[str, tuple[str, ...]]


def overdue_scenario(suqian, *, alice, bob, hank, charlie) -> Overdue:
    """A Suqian period started 40 days ago and due 8 days ago: every report is overdue and, past
    REMINDER_ESCALATE_DAYS (7), escalated to the heads and to the office."""
    import datetime as dt

    from django.utils import timezone

    from supervision.models import ReportingPeriod

    today = timezone.localdate()
    period = ReportingPeriod.objects.create(
        plan=suqian,
        label="上期",
        starts_on=today - dt.timedelta(days=40),
        ends_on=today - dt.timedelta(days=15),
        due_on=today - dt.timedelta(days=8),
    )
    for user, address in [
        (alice, "alice@duchashi.example"),
        (bob, "Bob@RenShe.example"),  # addresses are matched case-insensitively
        (hank, "hank@renshe.example"),
        (charlie, "charlie@dangan.example"),
    ]:
        user.email = address
        user.save(update_fields=["email"])
    agency_a = bob.memberships.get().agency
    agency_a.contact_emails = "bangongshi@renshe.example\n\n"
    agency_a.save(update_fields=["contact_emails"])
    agency_b = charlie.memberships.get().agency
    return Overdue(
        period=period,
        agency_a=agency_a,
        agency_b=agency_b,
        digests={
            "A": ("bangongshi@renshe.example", "bob@renshe.example", "hank@renshe.example"),
            "A head": ("hank@renshe.example",),
            "B": ("charlie@dangan.example",),
            "office": ("alice@duchashi.example",),
        },
    )
