# Inkwell: `make run` to start the platform, `make test` to run the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# uvicorn drops a websocket frame over this; the consumers answer frames over 256 KiB
# (MAX_FRAME_BYTES) with an error frame and keep the socket, so this stays well above it.
WS_MAX_SIZE ?= 524288

# The test suite runs against the real services (CONTRACTS: PostgreSQL, Redis, a Celery worker).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/inkwell
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# Tests and type checks import the settings, which refuse to start without a secret key.
CHECK_ENV := SECRET_KEY=$${SECRET_KEY:-insecure-key-for-tests-and-checks} SECURE_COOKIES=false \
  ALLOWED_HOSTS=testserver,127.0.0.1,localhost

.PHONY: help run test test-stock lint format install install-dev chromium migrate demo \
  worker bench clean deploy-check

help:
	@echo "make run    - set up and start Inkwell at http://$(HOST):$(PORT)"
	@echo "make test   - run the whole test suite (PostgreSQL, Redis, Celery, Chromium)"
	@echo "make test-stock - the tests of the fast paths' code, on the libraries' own paths"
	@echo "make lint   - ruff + mypy + import-linter"
	@echo "make bench  - run the benchmarks in bench/"
	@echo "make deploy-check - validate deploy/ (images, Compose, Kubernetes, nginx, alerts, CI)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements/serve.txt requirements/train.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

chromium:
	@command -v chromium >/dev/null || { \
	  echo "Installing Chromium from apt for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	  || { echo "Could not install chromium (need root and apt)"; exit 1; }; }

migrate: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput

demo: migrate
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo --url http://$(HOST):$(PORT)/

run: demo
	@export DEBUG=$${DEBUG:-true} DEV_SERVER=true; \
	if [ -n "$$REDIS_URL" ]; then \
	  $(BIN)/celery -A hwr_site worker -B -Q default,inference,training,discord --loglevel=INFO & \
	  worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; \
	fi; \
	echo "Inkwell is starting at http://$(HOST):$(PORT)/ (Ctrl+C to stop)"; \
	if [ "$$DEBUG" = true ]; then echo "DEBUG is on: a development server, never expose it"; fi; \
	$(BIN)/uvicorn hwr_site.asgi:application --host $(HOST) --port $(PORT) --lifespan off --ws-max-size $(WS_MAX_SIZE)

worker: install
	$(BIN)/celery -A hwr_site worker -B -Q default,inference,training,discord --loglevel=INFO

# DB_POOL_MAX=0: the test process opens an event loop per test, and each loop's executor
# threads die holding their pooled connection, which the pool never gets back: past 16
# the suite hung waiting for one. The servers and workers the tests start keep the pool
# (conftest's _service_env), as in production, where the loop and its threads live on.
test: install-dev chromium
	$(CHECK_ENV) DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DB_POOL_MAX=0 \
	  $(BIN)/pytest $(PYTEST_ARGS)

# The same tests on the libraries' own paths instead of the forks of hwr_site/fastpath/.
STOCK_TESTS ?= hwr_site recognition/tests/test_live_recognize.py recognition/tests/test_publishing.py \
  recognition/tests/test_replies.py recognition/tests/test_api_recognize.py \
  classroom/tests/test_practice_socket.py classroom/tests/test_live_class_socket.py \
  classroom/tests/test_dashboard_permissions.py classroom/tests/test_permissions.py
test-stock:
	FASTPATH=false $(MAKE) --no-print-directory test PYTEST_ARGS="$(STOCK_TESTS)"

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(CHECK_ENV) $(BIN)/mypy .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install-dev
	$(BIN)/python bench/bench_runtime.py

# Installs its validators (deploy/requirements-tools.txt into var/deploy-tools, nginx and
# promtool from apt when missing), then runs them all offline (deploy/README.md).
deploy-check: install-dev
	nice -n 5 bash deploy/check.sh

clean:
	rm -rf $(VENV) var artifacts .mypy_cache .ruff_cache .pytest_cache
