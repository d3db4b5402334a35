"""/healthz: the database, the broker's Redis, the beat's and the workers' heartbeats, as JSON
for monitoring; 503 when any is unwell; never a secret. (A real worker and beat: test_celery_worker.)"""

from __future__ import annotations

import pytest
import redis
from django.conf import settings as django_settings

from portal import health
from portal.celery import HeartbeatScheduler, app
from tests.conftest import requires

pytestmark = pytest.mark.django_db

BROKER = "redis://127.0.0.1:6379/13"


@pytest.fixture
def broker(settings):
    client = redis.Redis.from_url(BROKER, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except (redis.RedisError, OSError):
        requires(False, f"needs Redis at {BROKER}")
    client.flushdb()
    settings.CELERY_BROKER_URL = BROKER
    yield client
    client.flushdb()
    client.close()


def test_without_a_broker_the_database_is_all_there_is_to_check(client):
    page = client.get("/healthz")
    body = page.json()
    assert page.status_code == 200 and body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok" and body["checks"]["database"]["ms"] >= 0
    assert body["checks"]["redis"] == {"status": "not configured"}
    assert body["checks"]["workers"]["mode"].startswith("in-process")
    assert page["Cache-Control"].startswith("max-age=0") and "no-cache" in page["Cache-Control"]


def test_it_tells_no_secret(client, broker):
    text = client.get("/healthz").content.decode()
    database = django_settings.DATABASES["default"]
    secrets = [django_settings.SECRET_KEY, BROKER, "redis://", "postgres", "sqlite", str(database["NAME"])]
    secrets += [value for value in (database.get("HOST"), database.get("PASSWORD")) if value]
    assert not [secret for secret in secrets if secret in text]


def test_a_broker_that_is_down_is_a_503(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    page = client.get("/healthz")
    body = page.json()
    assert page.status_code == 503 and body["status"] == "error"
    assert body["checks"]["redis"]["status"] == "error" and body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["beat"]["status"] == "unknown"


def test_no_beat_and_no_worker_yet_is_a_503(client, broker):
    body = client.get("/healthz").json()
    assert body["status"] == "error"
    assert body["checks"]["redis"]["status"] == "ok"
    assert body["checks"]["beat"]["status"] == "missing" and body["checks"]["workers"]["status"] == "missing"


def test_the_beat_writes_its_heartbeat_at_each_tick(client, broker, tmp_path):
    scheduler = HeartbeatScheduler(app, schedule_filename=str(tmp_path / "beat-schedule"), lazy=True)
    scheduler.setup_schedule()
    scheduler.tick()
    body = client.get("/healthz").json()
    assert body["checks"]["beat"]["status"] == "ok" and body["checks"]["beat"]["age_seconds"] < 5


def test_fresh_and_stale_workers(client, broker, settings):
    now = float(broker.time()[0])
    health.record(health.BEAT_KEY)
    broker.set(health.WORKER_PREFIX + "old@host", now - settings.HEALTH_WORKER_MAX_AGE_SECONDS - 60)
    page = client.get("/healthz")
    workers = page.json()["checks"]["workers"]
    assert page.status_code == 503 and workers["status"] == "stale"
    assert workers["list"] == [
        {"name": health.worker_label("old@host"),
         "age_seconds": pytest.approx(settings.HEALTH_WORKER_MAX_AGE_SECONDS + 60, abs=3), "status": "stale"}
    ]  # fmt: skip
    assert "host" not in page.content.decode()  # no node name, so no host name
    health.record(health.WORKER_PREFIX + "new@host")
    page = client.get("/healthz")
    assert page.status_code == 200 and page.json()["status"] == "ok"
    statuses = {w["name"]: w["status"] for w in page.json()["checks"]["workers"]["list"]}
    assert statuses == {health.worker_label("new@host"): "ok", health.worker_label("old@host"): "stale"}


def test_a_beat_that_stopped_ticking_is_stale(client, broker, settings):
    health.record(health.WORKER_PREFIX + "w@host")
    broker.set(health.BEAT_KEY, float(broker.time()[0]) - settings.HEALTH_BEAT_MAX_AGE_SECONDS - 5)
    page = client.get("/healthz")
    assert page.status_code == 503 and page.json()["checks"]["beat"]["status"] == "stale"
