"""Settings from the environment: strict parsing, safe defaults, no secret in production by accident."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list
from tests.conftest import ROOT


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("YES", True), ("off", False), ("0", False)])
def test_booleans(monkeypatch, raw, value):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", not value) is value


@pytest.mark.parametrize("raw", ["ture", "2", "y e s"])
def test_bad_boolean_stops_with_its_name(monkeypatch, raw):
    monkeypatch.setenv("FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", False)


def test_integers(monkeypatch):
    monkeypatch.setenv("PORT", "587")
    assert env_int("PORT", 25) == 587
    monkeypatch.setenv("PORT", "58x")
    with pytest.raises(ImproperlyConfigured, match="PORT='58x' is not an integer"):
        env_int("PORT", 25)
    monkeypatch.setenv("PORT", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("PORT", 25, minimum=1)


def test_unset_and_empty_take_the_default(monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    assert env_int("PORT", 25) == 25
    monkeypatch.setenv("PORT", "")
    assert env_int("PORT", 25) == 25
    monkeypatch.setenv("HOSTS", " a.example , b.example,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def load_settings(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"}}
    code = (
        "import json, django; from django.conf import settings as s; django.setup(); "
        "db = s.DATABASES['default']; "
        "print(json.dumps({'engine': db['ENGINE'], 'name': str(db['NAME']), "
        "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'broker': s.CELERY_BROKER_URL, 'email': s.EMAIL_BACKEND, "
        "'ssl': getattr(s, 'SECURE_SSL_REDIRECT', False)}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
    )


def test_production_without_secret_key_refuses_to_start():
    result = load_settings()
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_embedded_defaults(tmp_path):
    import json

    result = load_settings(DEBUG="1", PORTAL_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(tmp_path / "portal.sqlite3")
    assert values["eager"] is True and values["broker"] is None
    assert values["email"] == "django.core.mail.backends.filebased.EmailBackend"


def test_production_settings_from_the_environment():
    import json

    result = load_settings(
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://portal:secret@db.internal:5432/portal",
        REDIS_URL="redis://cache.internal:6379/0",
        EMAIL_HOST="smtp.internal",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "portal"
    assert values["eager"] is False and values["broker"] == "redis://cache.internal:6379/0"
    assert values["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["ssl"] is True


def test_bad_debug_value_is_refused():
    result = load_settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr
