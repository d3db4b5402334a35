"""The dashboards' figures, kept until the data under them changes.

Working the figures out takes a second or more on a large plan (docs/benchmarks.md), and the
office and leaders open the same dashboard many times between two changes. So a dashboard's
rendered figures are cached under a key made of:

- a **version** that goes up after every committed change to the rows the figures read
  (``SOURCES``: saved or deleted through the ORM, which sends post_save / post_delete, or
  written in bulk by a path that sends ``core.signals.data_changed``, such as the importer and the
  admin's bulk imports, which cannot import this module from their lower layers);
- **today's date** in Asia/Shanghai (a report becomes missing when a day passes);
- the page, the plan, the period, the language and the URL's filters;
- a stamp of the code that renders them (templates, metrics, translations), so a new release
  does not serve the previous one's figures.

The version is read before the figures are worked out and bumped only after the change has
committed, so an entry can hold figures newer than its version but never older: a reader never
gets figures from before a change it could see. The cache must be shared by every process that
serves pages or writes data (Redis, ``CACHE_URL``, in production); the entries also expire after
``DASHBOARD_CACHE_SECONDS``, which bounds the staleness if a process dies between its commit and
its bump. ``DASHBOARD_CACHE_SECONDS=0`` turns the cache off.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import translation

from core.signals import data_changed

VERSION_KEY = "supervision:figures:version"
# app_label.Model of every table the dashboards read.
SOURCES = (
    "agencies.Agency",
    "tasklist.Plan",
    "tasklist.Part",
    "tasklist.Section",
    "tasklist.Task",
    "tasklist.Assignment",
    "supervision.ReportingCycle",
    "supervision.ReportingPeriod",
    "supervision.ProgressReport",
    "supervision.Extension",
)


def version() -> int:
    current = cache.get(VERSION_KEY)
    if current is None:
        # A fresh start (or an evicted key) begins from the clock, not from 0, so that it cannot
        # meet the entries of an earlier run that are still in the cache.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        current = cache.get(VERSION_KEY, 0)
    return current


def _bump() -> None:
    # Not there (never read, or evicted): nothing to outdate; the next reader starts from the clock.
    with contextlib.suppress(ValueError):
        cache.incr(VERSION_KEY)


def changed(**_signal) -> None:
    """The figures' data changed: once the transaction commits, cached figures are out of date.

    Every change queues its own callback (so that a savepoint rolled back drops only its own), but
    the callbacks queued since the last bump share one flag: after the commit the first bumps and the
    others return. Deleting a plan's 40,000 assignments makes one bump, not 40,000 round trips."""
    connection = transaction.get_connection()
    batch = getattr(connection, "_figures_bump", None)
    if batch is None or batch["done"]:
        batch = connection._figures_bump = {"done": False}

    def bump_once() -> None:
        if not batch["done"]:
            batch["done"] = True
            _bump()

    transaction.on_commit(bump_once)


def connect() -> None:
    from django.apps import apps

    data_changed.connect(changed, dispatch_uid="figure-cache-data-changed")
    for label in SOURCES:
        model = apps.get_model(label)
        for signal in (post_save, post_delete):
            signal.connect(changed, sender=model, dispatch_uid=f"figure-cache-{signal is post_save}-{label}")


def _code_stamp() -> str:
    """What the rendered figures are made by: a release that changes a template, the metrics or a
    translation does not serve the figures the previous release rendered."""
    root = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    for pattern in ("supervision/metrics.py", "supervision/obligations.py", "supervision/figures.py",
                    "supervision/dashboard.py", "portal/api/serializers.py",
                    "templates/supervision/_dashboard_figures.html", "locale/*/LC_MESSAGES/django.mo"):  # fmt: skip
        for path in sorted(root.glob(pattern)):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


CODE_STAMP = _code_stamp()


def key(page: str, *parts, version: int, today, query: str = "") -> str:
    """The cache key of one rendering of ``page``. ``version``: read (``version()``) before anything
    the figures are made of, the period included; ``today``: the day they are worked out for;
    ``query``: the URL's filters, the same key whatever their order (but repeated names keep theirs:
    the last one is the one in force)."""
    pairs = sorted(query.split("&"), key=lambda pair: pair.split("=", 1)[0]) if query else []
    digest = hashlib.sha256("&".join(pairs).encode()).hexdigest()[:32]
    scope = ":".join(str(part) for part in parts)
    language = translation.get_language()
    return f"supervision:figures:{CODE_STAMP}:{version}:{today}:{language}:{page}:{scope}:{digest}"


def cached(cache_key: str, compute: Callable[[], object]) -> object:
    """``compute()``, or what it returned the last time under the same key."""
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        cache.set(cache_key, value, seconds)
    return value
