# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORTAL_VAR_DIR=/var/lib/portal
WORKDIR /app

COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir -r requirements/base.txt polib

COPY . .
# The static files belong to portal: compose's "migrate" step collects them again, as portal, into
# the volume seeded from this directory.
RUN DEBUG=1 python manage.py compiletranslations \
 && DEBUG=1 STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput \
 && useradd --system --home /app portal \
 && mkdir -p /var/lib/portal/media && chown -R portal /var/lib/portal /app/staticfiles

USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
