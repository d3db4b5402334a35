"""``/healthz``: is the portal able to serve and to run its background jobs? For the office's monitoring.

JSON, no login, no secrets (no addresses, names of hosts or error messages: only the class of an
error). It answers 200 when everything it checks is well and 503 otherwise:

- **database**: one ``SELECT 1``, with the time it took;
- **redis**: a PING to the broker (only when Celery has one; without, tasks run in-process);
- **beat**: the age of the single beat's last tick. The beat (``portal.celery.HeartbeatScheduler``)
  writes it at every tick, at least every ``CELERY_BEAT_MAX_LOOP_INTERVAL`` seconds;
- **workers**: the age of each Celery worker's last heartbeat, each named by a label derived from
  its node name (``worker_label``), never the host's name (``portal.celery.Heartbeat``, every
  ``HEALTH_WORKER_INTERVAL_SECONDS``); at least one must be fresh.

Ages are measured on the Redis server's clock, so the hosts' clocks need not agree.
"""

from __future__ import annotations

import hashlib
import logging
import time

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)

PREFIX = "portal:health:"
BEAT_KEY = PREFIX + "beat"
WORKER_PREFIX = PREFIX + "worker:"
KEEP_SECONDS = 7 * 24 * 3600  # a dead worker's last heartbeat stays visible (as stale) for a week


def broker() -> redis.Redis | None:
    """A client of the broker's Redis, or None when Celery runs tasks in-process."""
    url = settings.CELERY_BROKER_URL
    if not url or not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def _server_now(client: redis.Redis) -> float:
    seconds, micros = client.time()
    return seconds + micros / 1e6


def record(key: str) -> None:
    """Write a heartbeat (the Redis server's time) under ``key``; never raises: a heartbeat that
    cannot be written is what /healthz reports, not a reason to stop a worker or the beat."""
    try:
        client = broker()
        if client is not None:
            client.set(key, f"{_server_now(client):.3f}", ex=KEEP_SECONDS)
    except Exception:
        log.warning("could not write the heartbeat %s", key, exc_info=True)


def worker_label(name: str) -> str:
    """How /healthz names a worker: a stable label, not its node name (which holds the host's name).
    ``celery -A portal inspect ping`` lists the node names; ``worker_label`` maps one to its label."""
    return "worker-" + hashlib.sha256(name.encode()).hexdigest()[:10]


def _age(now: float, value: bytes | None) -> float | None:
    return None if value is None else round(max(0.0, now - float(value)), 1)


def _freshness(age: float | None, limit: int) -> str:
    if age is None:
        return "missing"
    return "ok" if age <= limit else "stale"


def check_database() -> dict:
    start = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return {"status": "error", "error": type(error).__name__}
    return {"status": "ok", "ms": round(1000 * (time.perf_counter() - start), 1)}


def check_background() -> dict[str, dict]:
    """redis, beat and workers: their entries of the report."""
    client = broker()
    if client is None:
        in_process = {"status": "ok", "mode": "in-process (no broker configured)"}
        return {"redis": {"status": "not configured"}, "beat": in_process, "workers": in_process}
    try:
        start = time.perf_counter()
        client.ping()
        ping_ms = round(1000 * (time.perf_counter() - start), 1)
        now = _server_now(client)
        beat_age = _age(now, client.get(BEAT_KEY))
        names = sorted(key.decode()[len(WORKER_PREFIX) :] for key in client.scan_iter(WORKER_PREFIX + "*"))
        ages = {name: _age(now, client.get(WORKER_PREFIX + name)) for name in names}
    except redis.RedisError as error:
        down = {"status": "unknown", "error": "redis unreachable"}
        return {"redis": {"status": "error", "error": type(error).__name__}, "beat": down, "workers": down}
    worker_limit = settings.HEALTH_WORKER_MAX_AGE_SECONDS
    workers = [
        {"name": worker_label(name), "age_seconds": age, "status": _freshness(age, worker_limit)}
        for name, age in ages.items()
    ]
    return {
        "redis": {"status": "ok", "ms": ping_ms},
        "beat": {
            "status": _freshness(beat_age, settings.HEALTH_BEAT_MAX_AGE_SECONDS),
            "age_seconds": beat_age,
            "max_age_seconds": settings.HEALTH_BEAT_MAX_AGE_SECONDS,
        },
        "workers": {
            "status": "ok" if any(w["status"] == "ok" for w in workers) else ("stale" if workers else "missing"),
            "max_age_seconds": worker_limit,
            "list": workers,
        },
    }


@never_cache
@require_GET
def healthz(request):
    checks = {"database": check_database(), **check_background()}
    healthy = all(check["status"] in ("ok", "not configured") for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)
