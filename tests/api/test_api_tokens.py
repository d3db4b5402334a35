"""API tokens (docs/api.md): only a SHA-256 digest of the key is stored, the key is shown once,
tokens expire and can be revoked, and the API throttles callers (429 with Retry-After)."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import io
import os
import subprocess
import sys

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from portal.api.models import ApiToken
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
PLANS = reverse("api:plan-list")


def issue(username: str, *options: str) -> str:
    out = io.StringIO()
    call_command("api_token", username, *options, stdout=out)
    return out.getvalue().strip()


def with_key(key: str, **extra) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}", **extra)


def trail(user) -> list[str]:
    events = AuditEvent.objects.filter(object_type="auth.user", object_id=str(user.pk), action__startswith="api_token")
    return [event.action for event in events.order_by("at", "pk")]


# ---------------------------------------------------------------------------
# Stored hashed, shown once
# ---------------------------------------------------------------------------


def test_only_a_digest_of_the_key_is_stored(leader):
    key = issue("leo")
    assert len(key) == 40 and int(key, 16) >= 0
    token = ApiToken.objects.get(user=leader)
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        stored = repr(cursor.fetchall())
    assert key not in stored and key[:12] not in stored
    assert with_key(key).get(PLANS).status_code == 200


def test_the_key_is_shown_once_and_rotating_replaces_it(leader):
    first = issue("leo")
    with pytest.raises(CommandError, match="already has an API token"):
        issue("leo")
    second = issue("leo", "--rotate")
    assert second != first and ApiToken.objects.filter(user=leader).count() == 1
    assert with_key(first).get(PLANS).status_code == 401
    assert with_key(second).get(PLANS).status_code == 200
    assert trail(leader) == ["api_token.create", "api_token.rotate"]
    stored = repr(list(AuditEvent.objects.values_list("before", "after")))
    assert first not in stored and second not in stored


def test_a_revoked_token_is_refused_at_once_and_the_revocation_audited(leader):
    key = issue("leo")
    out = issue("leo", "--revoke")
    assert key not in out and "revoked" in out.lower()
    assert not ApiToken.objects.exists()
    assert with_key(key).get(PLANS).status_code == 401
    assert trail(leader) == ["api_token.create", "api_token.revoke"]
    with pytest.raises(CommandError, match="has no API token"):
        issue("leo", "--revoke")


# ---------------------------------------------------------------------------
# Expiry
# ---------------------------------------------------------------------------


def test_a_token_expires_after_API_TOKEN_DAYS_with_a_clear_401(leader, settings, time_machine):
    settings.API_TOKEN_DAYS = 90
    time_machine.move_to(START, tick=False)
    key = issue("leo")
    assert ApiToken.objects.get().expires_at == START + dt.timedelta(days=90)

    time_machine.shift(dt.timedelta(days=90, seconds=-1))
    assert with_key(key).get(PLANS).status_code == 200
    time_machine.shift(dt.timedelta(seconds=1))
    english = with_key(key)
    english.cookies.load({"django_language": "en"})
    response = english.get(PLANS)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert "expired" in response.json()["detail"] and "2025-06-01" in response.json()["detail"]


def test_an_expired_token_is_replaced_without_rotate_and_days_may_be_given(leader, time_machine):
    time_machine.move_to(START, tick=False)
    old = issue("leo", "--days", "1")
    assert ApiToken.objects.get().expires_at == START + dt.timedelta(days=1)
    time_machine.shift(dt.timedelta(days=2))
    new = issue("leo")  # the expired token is no longer valid: a new one needs no --rotate
    assert with_key(new).get(PLANS).status_code == 200 and with_key(old).get(PLANS).status_code == 401
    with pytest.raises(CommandError):
        issue("leo", "--rotate", "--days", "0")


def test_the_expiry_and_the_rates_are_read_from_the_environment(tmp_path):
    def read(value: str, **extra: str) -> subprocess.CompletedProcess:
        env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
        env.update(DEBUG="1", API_TOKEN_DAYS=value, PORTAL_VAR_DIR=str(tmp_path), **extra)
        code = (
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.API_TOKEN_DAYS, settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['user'])"
        )
        return subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
            capture_output=True,
            text=True,
        )

    assert read("30", API_THROTTLE_USER="1000/hour").stdout.strip() == "30 1000/hour"
    refused = read("0")
    assert refused.returncode != 0 and "API_TOKEN_DAYS=0 must be at least 1" in refused.stderr
    refused = read("30", API_THROTTLE_USER="lots")
    assert refused.returncode != 0 and "API_THROTTLE_USER='lots' is not a rate" in refused.stderr


# ---------------------------------------------------------------------------
# Tokens made before keys were hashed (rest_framework.authtoken)
# ---------------------------------------------------------------------------


def test_old_clear_text_keys_become_digests_and_leave_no_clear_key_behind(leader, settings, time_machine):
    settings.API_TOKEN_DAYS = 30
    time_machine.move_to(START, tick=False)
    old_key = "a" * 40
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id integer)")
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [old_key, START, leader.pk])
    migration = importlib.import_module("portal.api.migrations.0001_initial")
    migration.hash_old_tokens(apps, connection)

    token = ApiToken.objects.get(user=leader)
    assert token.digest == hashlib.sha256(old_key.encode()).hexdigest()
    assert token.expires_at == START + dt.timedelta(days=30)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
    assert with_key(old_key).get(PLANS).status_code == 200


# ---------------------------------------------------------------------------
# Throttling
# ---------------------------------------------------------------------------


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "3/minute", "anon": "2/minute"},
    }


def test_a_user_past_the_rate_gets_429_with_retry_after(leader, alice, low_rates, time_machine):
    time_machine.move_to(START, tick=False)
    client = with_key(issue("leo"))
    assert [client.get(PLANS).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(PLANS)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert 0 < int(response["Retry-After"]) <= 60
    # Per user: another caller, even from the same address, is not slowed down.
    assert with_key(issue("alice")).get(PLANS).status_code == 200
    # The browser's session counts for the same user as the token.
    browser = Client()
    browser.force_login(leader)
    assert browser.get(PLANS).status_code == 429

    time_machine.shift(dt.timedelta(seconds=61))
    assert client.get(PLANS).status_code == 200


def test_requests_without_a_valid_token_are_throttled_by_address(leader, low_rates, time_machine):
    time_machine.move_to(START, tick=False)
    answers = [
        Client().get(PLANS).status_code,
        with_key("0" * 40).get(PLANS).status_code,
        Client().get(reverse("api:api-root")).status_code,
    ]
    assert answers == [401, 401, 429]
    response = Client().get(reverse("api:schema"))
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    # Another address is not affected; a valid token is counted per user, not per address.
    assert Client(REMOTE_ADDR="10.20.30.40").get(PLANS).status_code == 401
    assert with_key(issue("leo")).get(PLANS).status_code == 200


def test_the_schema_documents_429(leader):
    schema = Client()
    schema.force_login(leader)
    document = schema.get(reverse("api:schema"), {"format": "json"}).json()
    for operations in document["paths"].values():
        for operation in operations.values():
            assert "429" in operation["responses"], operation["operationId"]
            assert "Retry-After" in operation["responses"]["429"]["headers"]
