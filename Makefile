# The helpdesk. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/helpdesk
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install compile-messages run dev demo test screenshots lint types check messages bench-seed bench-api clean

help: ## Show this help
	@grep -hE '^[a-z][a-z-]+:.*## ' $(MAKEFILE_LIST) | sort | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## Create the virtualenv and install everything

compile-messages: install
	$(PY) manage.py compilemessages --ignore=.venv -v0

# DEBUG is off: friendly 404/403/500 pages, static files served by WhiteNoise from STATIC_ROOT.
run: compile-messages ## Run the app on SQLite (web + Celery worker + beat), with demo data
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input -v0
	HOST=$(HOST) PORT=$(PORT) $(PY) manage.py seed_demo
	HOST=$(HOST) PORT=$(PORT) $(PY) manage.py run_all

dev: compile-messages ## As run, with DEBUG on (tracebacks, static files from the source tree)
	DJANGO_DEBUG=1 $(PY) manage.py migrate --no-input
	DJANGO_DEBUG=1 HOST=$(HOST) PORT=$(PORT) $(PY) manage.py seed_demo
	DJANGO_DEBUG=1 HOST=$(HOST) PORT=$(PORT) $(PY) manage.py run_all

test: compile-messages ## Run the whole test suite (PostgreSQL, Redis, a real Celery worker, Chromium)
	DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) \
		$(PY) -m pytest -p xdist -n 2 --dist loadgroup -q

screenshots: compile-messages ## Refresh docs/screenshots/ (browser tests: both languages, desktop and phone)
	DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) HELPDESK_SCREENSHOTS=1 \
		HELPDESK_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(PY) -m pytest -p no:xdist -q -m browser tests/e2e

lint: install ## ruff check and format check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

types: install ## mypy
	$(PY) -m mypy .

check: install ## Django checks, migrations up to date, deploy check
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_SECRET_KEY=ci-$$RANDOM-not-secret-but-long-enough-for-the-deploy-check-0123456789 \
	DJANGO_SECURE_SSL_REDIRECT=1 DJANGO_SECURE_COOKIES=1 DJANGO_SECURE_HSTS_SECONDS=31536000 \
	DJANGO_ALLOWED_HOSTS=helpdesk.example.com $(PY) manage.py check --deploy --fail-level WARNING

messages: install ## Update the translation catalogs and compile them
	$(PY) manage.py makemessages -l es --ignore=.venv --ignore=bench --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv

bench-seed: install ## Seed N tickets into DATABASE_URL (N=100000)
	$(PY) bench/seed.py $${N:-100000}

bench-api: install ## API benchmark against gunicorn on DATABASE_URL
	$(PY) bench/api.py

clean: ## Remove the embedded database, queues and media
	rm -rf var/
