"""Celery application. Tasks are thin wrappers around actions (docs/architecture.md).

The beat and each worker also write a heartbeat that /healthz reads (portal/health.py).
"""

import os

from celery import Celery, bootsteps
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class HeartbeatScheduler(PersistentScheduler):
    """The default scheduler, writing the beat's heartbeat at every tick (at least every
    ``beat_max_loop_interval`` seconds)."""

    def tick(self, *args, **kwargs):
        from portal import health

        health.record(health.BEAT_KEY)
        return super().tick(*args, **kwargs)


class Heartbeat(bootsteps.StartStopStep):
    """A worker's heartbeat, written by the worker's own timer while it runs."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_ref = None

    def start(self, worker):
        from django.conf import settings

        from portal import health

        key = health.WORKER_PREFIX + worker.hostname

        def beat():
            health.record(key)

        beat()
        self.timer_ref = worker.timer.call_repeatedly(settings.HEALTH_WORKER_INTERVAL_SECONDS, beat, priority=10)

    def stop(self, worker):
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None


app.steps["worker"].add(Heartbeat)
