"""The deployment as the repository ships it: the compose file's wiring, nginx's locations,
.env.example, production settings passing `manage.py check --deploy` with no warning, the
security headers, and attachments handed to nginx only after the permission check."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supervision import actions
from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
NGINX = (ROOT / "docs" / "deploy" / "nginx.conf").read_text()
APP_SERVICES = ("migrate", "web", "worker", "beat")


def test_the_stack_has_every_piece_once():
    assert set(SERVICES) == {"db", "redis", "migrate", "web", "worker", "beat", "nginx"}
    assert SERVICES["beat"].get("deploy", {}).get("replicas", 1) == 1, "one beat, or every job runs twice"
    assert SERVICES["web"]["command"][0] == "gunicorn" and SERVICES["web"]["command"][1] == "portal.wsgi"
    assert SERVICES["worker"]["command"][:4] == ["celery", "-A", "portal", "worker"]
    assert SERVICES["beat"]["command"][:4] == ["celery", "-A", "portal", "beat"]
    assert "migrate" in " ".join(SERVICES["migrate"]["command"])
    assert "collectstatic" in " ".join(SERVICES["migrate"]["command"])


def test_the_app_services_share_one_database_broker_cache_and_media():
    for name in APP_SERVICES:
        service = SERVICES[name]
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in env["DATABASE_URL"], name
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/"), name
        assert env["CACHE_URL"].startswith("redis://redis:6379/") and env["CACHE_URL"] != env["CELERY_BROKER_URL"]
        assert env["ATTACHMENT_ACCEL_REDIRECT"] == "/_attachments/"
        assert service["env_file"] == ".env"
        assert "media:/var/lib/portal/media" in service["volumes"], name
        assert env["MEDIA_ROOT"] == "/var/lib/portal/media" and env["STATIC_ROOT"] == "/app/staticfiles"
        assert service["depends_on"]["db"]["condition"] == "service_healthy", name
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_only_nginx_is_published_and_it_serves_static_and_no_media():
    published = {name for name, service in SERVICES.items() if service.get("ports")}
    assert published == {"nginx"}
    mounts = SERVICES["nginx"]["volumes"]
    assert "./docs/deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in mounts
    assert "static:/srv/portal/static:ro" in mounts and "media:/srv/portal/media:ro" in mounts
    assert re.search(r"location /static/ \{\s*alias /srv/portal/static/;", NGINX)
    # The media volume is reachable only through the internal location the attachment view names.
    internal = re.search(r"location /_attachments/ \{(.*?)\}", NGINX, re.S)
    assert internal and "internal;" in internal.group(1) and "alias /srv/portal/media/;" in internal.group(1)
    assert NGINX.count("/srv/portal/media") == 1
    assert "proxy_pass http://portal_web;" in NGINX and "server web:8000;" in NGINX
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in NGINX  # SECURE_PROXY_SSL_HEADER reads it
    assert "return 301 https://" in NGINX


def test_nginx_is_restarted_with_web_and_the_data_survives_in_volumes():
    # nginx resolves "web" once: an upgrade that recreates web must restart it, or it answers 502.
    assert SERVICES["nginx"]["depends_on"]["web"] == {"condition": "service_started", "restart": True}
    assert {"pgdata", "redisdata", "media", "static"} <= set(COMPOSE["volumes"])
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["db"]["volumes"]
    assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:\?.+\}", SERVICES["db"]["environment"]["POSTGRES_PASSWORD"])


def test_the_image_runs_the_wsgi_app_as_portal_and_owns_its_static_files():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements/base.txt" in dockerfile and '"gunicorn", "portal.wsgi"' in dockerfile
    assert "USER portal" in dockerfile
    # The migrate step collects static files as portal into a volume seeded from the image.
    assert re.search(r"chown -R portal [^\n]*/app/staticfiles", dockerfile)


def test_env_example_names_what_compose_needs_and_only_settings_that_exist():
    example = (ROOT / ".env.example").read_text()
    named = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M))
    interpolated = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yml").read_text()))
    assert interpolated <= named, interpolated - named
    settings_source = (ROOT / "portal" / "settings.py").read_text()
    read = set(re.findall(r'env_(?:str|int|bool|list)\(\s*"([A-Z0-9_]+)"', settings_source))
    unknown = named - read - {"POSTGRES_PASSWORD", "TLS_CERT_DIR"}
    assert not unknown, f".env.example names settings that portal/settings.py does not read: {unknown}"
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS"} <= named


def production_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DEBUG", "DJANGO_"))}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="duban.example.gov.cn",
        CSRF_TRUSTED_ORIGINS="https://duban.example.gov.cn",
        DATABASE_URL="postgres://portal:pw@db.invalid:5432/portal",
        CACHE_URL="redis://redis.invalid:6379/1",
        CELERY_BROKER_URL="redis://redis.invalid:6379/0",
        DEBUG="0",
    )
    env.update(extra)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy_without_a_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("secret", "message"),
    [("", "SECRET_KEY must be set"), ("change-me-to-50-random-characters", "placeholder")],
)
def test_production_refuses_a_missing_or_placeholder_secret(secret, message):
    result = manage("check", env=production_env(SECRET_KEY=secret))
    assert result.returncode != 0 and message in result.stderr


def test_every_response_carries_the_security_headers(client, alice):
    client.force_login(alice)
    page = client.get(reverse("supervision:overview"))
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert page["X-Frame-Options"] == "DENY" and page["X-Content-Type-Options"] == "nosniff"


def test_no_template_carries_an_inline_script_or_handler():
    """The policy forbids them: they would silently do nothing in the browser."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text) or re.search(
            r"\son[a-z]+=\"", text
        ):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.fixture
def filed_attachment(bob, lead_assignment, period):
    report = actions.save_report(
        assignment=lead_assignment,
        period=period,
        user=bob,
        data={"work_done": "附件"},
        version=None,
        files=[SimpleUploadedFile("进展.pdf", b"%PDF-1.4 deploy\n%%EOF\n")],
    )
    return report.attachments.get()


def test_behind_nginx_the_app_checks_and_nginx_sends_the_file(client, settings, bob, charlie, filed_attachment):
    settings.ATTACHMENT_ACCEL_REDIRECT = "/_attachments/"
    url = reverse("supervision:attachment", args=[filed_attachment.pk])
    client.force_login(charlie)  # another agency
    refused = client.get(url)
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused
    client.force_login(bob)
    page = client.get(url)
    assert page.status_code == 200 and page.content == b""
    target = page["X-Accel-Redirect"]
    assert target.startswith("/_attachments/") and target.endswith(filed_attachment.file.name.rsplit("/", 1)[-1])
    assert (settings.MEDIA_ROOT / target.removeprefix("/_attachments/")).exists()
    assert page["Content-Disposition"].startswith("attachment;") and page["Content-Type"] == "application/pdf"
