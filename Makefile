# Two entry points for people (see README): `make run` and `make test`.
# Both start from `make setup`, which is safe to run again.
PYTHON ?= python3
# Development defaults; production sets DEBUG, SECRET_KEY, DATABASE_URL … itself (README, Configuration).
export DEBUG ?= 1
# make run PORT=8080 serves on another port.
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test test-sqlite test-postgres lint lock clean bench-import bench-reminders bench-dashboard bench-load

$(STAMP): requirements/base.txt requirements/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/base.txt -r requirements/dev.txt
	touch $(STAMP)

## setup: virtualenv, dependencies, compiled translations, migrated database. Idempotent.
setup: $(STAMP)
	mkdir -p var
	$(PY) manage.py compiletranslations
	$(PY) manage.py migrate --noinput

## run: set up, load both seed plans and demo accounts, send the reminders owed (to var/mail/), serve
## http://127.0.0.1:$(PORT) (8000 unless PORT= is given; SQLite by default) with a daily reminder sweep beside it (no Redis needed).
run: export PORTAL_BASE_URL ?= http://127.0.0.1:$(PORT)
run: setup
	$(PY) manage.py seed_demo
	$(PY) manage.py send_reminders
	$(PY) manage.py send_reminders --daily & trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

## test: set up and run the whole suite (DATABASE_URL picks the database; SQLite by default).
test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

test-sqlite:
	DATABASE_URL= $(MAKE) test

test-postgres:
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/portal} $(MAKE) test

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

## bench-import: the import/export benchmark on PostgreSQL (docs/benchmarks.md).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal_bench
bench-import: setup
	$(PY) -m bench.createdb $(BENCH_DATABASE_URL)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench.import_export

## bench-reminders: one reminder sweep over 6,000 and 60,000 assignments on PostgreSQL (docs/benchmarks.md).
bench-reminders: setup
	$(PY) -m bench.createdb $(BENCH_DATABASE_URL)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench.reminders

## bench-dashboard: the plan dashboard and an agency's page at 1,000 agencies and 500,000 reports, against
## one hand-written SQL statement, on PostgreSQL (docs/benchmarks.md).
bench-dashboard: setup
	$(PY) -m bench.createdb $(BENCH_DATABASE_URL)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench.dashboard

## bench-load: 50 agency users submitting reports and 10 reading dashboards for 60 s, against gunicorn, a Celery
## worker, PostgreSQL and Redis on loopback; its own database (docs/benchmarks.md).
BENCH_LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal_bench_load
bench-load: setup
	$(PY) -m bench.createdb $(BENCH_LOAD_DATABASE_URL)
	DATABASE_URL=$(BENCH_LOAD_DATABASE_URL) $(PY) -m bench.load

## lock: regenerate the pinned requirements from requirements/*.in (needs uv).
lock:
	cd requirements && uv pip compile --python-version 3.11 base.in -o base.txt && uv pip compile --python-version 3.11 dev.in -o dev.txt

clean:
	rm -rf $(VENV) var
