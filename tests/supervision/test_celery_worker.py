"""The reminder sweep through a real Celery worker process on the real Redis, end to end.

The worker is `celery -A portal worker` in a subprocess with production settings: the test's
PostgreSQL database (the data is committed: transaction=True), a dedicated Redis database as the
broker, and the aiosmtpd server of this process as its mail server. Nothing is mocked.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from portal.celery import app
from supervision.models import Reminder, SendState
from supervision.tasks import sweep_reminders
from tests.conftest import ROOT, requires
from tests.smtp import SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)

# A Redis database of its own, flushed around each test: no stale message of another run is consumed.
BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/14")
CELERY = Path(sys.executable).parent / "celery"


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=1, socket_timeout=2).ping())
    except (redis.RedisError, OSError):
        return False


@pytest.fixture
def broker():
    requires(connection.vendor == "postgresql", "needs PostgreSQL: the worker is another process (set DATABASE_URL)")
    requires(CELERY.exists(), f"needs the celery command at {CELERY}")
    requires(redis_reachable(), f"needs Redis at {BROKER}")
    import redis

    client = redis.Redis.from_url(BROKER)
    client.flushdb()
    yield BROKER
    client.flushdb()
    client.close()


def worker_database_url() -> str:
    """The database this test wrote to (test_…), as the worker's DATABASE_URL."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`celery -A portal worker` with one prefork child, consuming one queue of its own."""

    def __init__(self, directory: Path, smtp: SmtpServer, **env: str) -> None:
        self.queue = f"test-{uuid.uuid4().hex[:12]}"
        self.log_path = directory / f"{self.queue}.log"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DEBUG": "1",
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": BROKER,
            "REDIS_URL": BROKER,
            "EMAIL_HOST": smtp.host,
            "EMAIL_PORT": str(smtp.port),
            "EMAIL_TIMEOUT": "10",
            "PORTAL_VAR_DIR": str(directory / "var"),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        for name in ("EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "EMAIL_USE_SSL"):
            environment.pop(name, None)
        command = [str(CELERY), "-A", "portal", "worker", "--pool=prefork", "--concurrency=1", "--loglevel=INFO"]
        command += ["-Q", self.queue, "-n", f"{self.queue}@%h", "--without-gossip", "--without-mingle"]
        command += ["--without-heartbeat"]
        with open(self.log_path, "wb") as log:
            # A session of its own: the whole group (main process and pool children) can be killed.
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, condition, what: str, timeout: float = 30):
        """Poll until condition() is true; fail with the worker's log if it never is or the worker died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        pytest.fail(f"waited in vain for {what} (worker exit code {self.process.poll()})\n{self.log()}")

    def wait_for_log(self, text: str, timeout: float = 30) -> None:
        self.wait_for(lambda: text in self.log(), repr(text), timeout)

    def children(self) -> list[int]:
        """The prefork pool's processes: the main process's children."""
        out = subprocess.run(
            ["ps", "--ppid", str(self.process.pid), "-o", "pid="], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in out.stdout.split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            with suppress(subprocess.TimeoutExpired, ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)  # warm shutdown
                self.process.wait(timeout=10)
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # and whatever of the group is left
        self.process.wait(timeout=10)


@pytest.fixture
def start_worker(broker, smtp, tmp_path):
    """Start a worker (ready to consume) with extra environment; every one is stopped afterwards."""
    workers: list[Worker] = []

    def start(**env: str) -> Worker:
        worker = Worker(tmp_path, smtp, **env)
        workers.append(worker)
        worker.wait_for_log(" ready.", timeout=40)
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()


@contextmanager
def producing(broker_url: str):
    """The project's Celery app, in this process, sending to the real broker instead of running eagerly."""
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=broker_url, task_always_eager=False)
    try:
        with app.connection_for_write(broker_url) as conn:
            yield conn
    finally:
        app.conf.update(saved)


def send_sweep(worker: Worker) -> str:
    """Queue the beat's task for the worker, as beat does; returns the task id (the sweep's run id)."""
    with producing(BROKER) as conn:
        return sweep_reminders.apply_async(queue=worker.queue, connection=conn).id


def once_each(*recipients) -> Counter:
    return Counter(dict.fromkeys(recipients, 1))


def test_the_beat_task_sends_each_digest_once_through_a_real_worker(start_worker, smtp, scene):
    worker = start_worker()

    task_id = send_sweep(worker)

    worker.wait_for_log(f"Task supervision.sweep_reminders[{task_id}] succeeded", timeout=40)
    assert smtp.by_recipients() == once_each(*scene.digests.values())
    total = Reminder.objects.count()
    assert total > 0
    # The run id is the Celery task id.
    assert Counter(Reminder.objects.values_list("state", "claimed_by", "attempts")) == {
        (SendState.SENT, task_id, 1): total
    }
    assert f"reminder sweep {task_id}: {total} new, {total} sent in 4 digests, 0 digests failed" in worker.log()


def test_a_worker_killed_mid_sweep_still_sends_each_digest_once(start_worker, smtp, scene):
    # Three seconds between two e-mails: a window in which to kill the process that sends them.
    worker = start_worker(REMINDER_SEND_INTERVAL_SECONDS="3")
    (child,) = worker.children()

    task_id = send_sweep(worker)

    # The first digest has arrived and is marked sent; the child now sleeps before the next one.
    worker.wait_for(
        lambda: smtp.received and Reminder.objects.filter(state=SendState.SENT, last_error="").exists(),
        "the first e-mailed digest",
    )
    assert Reminder.objects.filter(state=SendState.SENDING, claimed_by=task_id).exists()  # the rest is in hand
    os.kill(child, signal.SIGKILL)
    before_kill = len(smtp.received)

    # acks_late + reject_on_worker_lost: the main process puts the message back on the queue, a new
    # child takes it with the same task id, and the run takes back its own claims at once.
    worker.wait_for_log(f"Task supervision.sweep_reminders[{task_id}] succeeded", timeout=40)
    log = worker.log()
    assert "WorkerLostError" in log and "signal 9" in log
    assert log.count(f"Task supervision.sweep_reminders[{task_id}] received") == 2  # delivered twice
    assert f"reminder sweep {task_id}: 0 new, " in log and "in 3 digests, 0 digests failed" in log
    assert child not in worker.children()

    assert before_kill == 1
    assert smtp.by_recipients() == once_each(*scene.digests.values())  # not zero, not two
    total = Reminder.objects.count()
    assert Counter(Reminder.objects.values_list("state", "claimed_by", "attempts")) == {
        (SendState.SENT, task_id, 1): total
    }


def test_healthz_sees_a_real_worker_and_the_beat(start_worker, broker, client, settings, tmp_path):
    """No beat and no worker: 503. Then a worker and the beat, as deployed: both report in, 200."""
    settings.CELERY_BROKER_URL = broker
    assert client.get("/healthz").status_code == 503
    worker = start_worker()
    environment = {**os.environ, "DEBUG": "1", "CELERY_BROKER_URL": broker, "REDIS_URL": broker,
                   "DATABASE_URL": worker_database_url(), "PORTAL_VAR_DIR": str(tmp_path / "var")}  # fmt: skip
    with open(tmp_path / "beat.log", "wb") as log:
        beat = subprocess.Popen(
            [str(CELERY), "-A", "portal", "beat", "--loglevel=INFO", "--schedule", str(tmp_path / "beat-schedule")],
            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        worker.wait_for(
            lambda: client.get("/healthz").status_code == 200,
            f"/healthz to answer 200 (when the wait began: {client.get('/healthz').content.decode()})",
            timeout=90,
        )
    finally:
        with suppress(ProcessLookupError):
            os.killpg(beat.pid, signal.SIGKILL)
        beat.wait(timeout=10)
    checks = client.get("/healthz").json()["checks"]
    assert checks["beat"]["status"] == "ok"
    from portal.health import worker_label

    label = worker_label(f"{worker.queue}@{socket.gethostname()}")
    assert [w["status"] for w in checks["workers"]["list"] if w["name"] == label] == ["ok"]
