# `make` with no target lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUM := $(shell cksum pyproject.toml | cut -d' ' -f1)
# Two stamps: running needs the runtime dependencies only; tests and lint add the test extras.
RUN_STAMP := $(VENV)/.installed-run-$(SUM)
TEST_STAMP := $(VENV)/.installed-test-$(SUM)
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check
# axe-core (accessibility checks in the browser tests) from the npm registry, kept in the venv
AXE_VERSION := 4.10.3
AXE := $(VENV)/node/node_modules/axe-core/axe.min.js

.DEFAULT_GOAL := help
.PHONY: help run test lint browser-deps mail-server-deps axe migration bench bench-full clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	rm -f $(VENV)/.installed-*
	touch $(RUN_STAMP)

$(TEST_STAMP): $(RUN_STAMP)
	$(PIP) install -e '.[test]'
	touch $(TEST_STAMP)

run: $(RUN_STAMP) ## start web + worker + scheduler on the embedded defaults (http://127.0.0.1:8000)
	$(BIN)/newsletter run

browser-deps: ## install Debian's chromium for the browser tests when it is missing
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

$(AXE):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/node axe-core@$(AXE_VERSION)

axe: $(AXE) ## install axe-core for the accessibility checks (npm, into .venv/node)

lint: $(TEST_STAMP) ## ruff
	$(BIN)/ruff check .

mail-server-deps: ## install Debian's dovecot for the bounce-mailbox tests when it is missing
	@test -x /usr/sbin/dovecot || { \
	  echo "Installing Debian dovecot (IMAPS/POP3S) for the bounce-mailbox tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    dovecot-imapd dovecot-pop3d >/dev/null; }

test: $(TEST_STAMP) browser-deps mail-server-deps $(AXE) ## the whole suite (PostgreSQL + Redis on 127.0.0.1, embedded defaults too)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

migration: $(RUN_STAMP) ## new Alembic revision from the models: make migration m="what changed"
	$(BIN)/python -c "from alembic import command; from newsletter.migrate import alembic_config; \
	  import tempfile, os; d = tempfile.mkdtemp(); url = 'sqlite:///' + os.path.join(d, 'm.db'); \
	  command.upgrade(alembic_config(url), 'head'); \
	  command.revision(alembic_config(url), message='$(m)', autogenerate=True)"

# `make bench` sizes: every script at its default took ~25 min on the shared 2-core machine,
# these take a fraction of it; `make bench-full` (or a script's own flags) runs full size.
BENCH_QUICK_delivery := --subscribers 5000 --naive-sample 50 --smtp-sample 2000
BENCH_QUICK_feeds := --feeds 300
BENCH_QUICK_signup := --seconds 20 --wait 120
BENCH_QUICK_import := --rows 20000
BENCH_QUICK_ledger := --subscribers 20000 --editions 3
BENCH_QUICK_local_waves := --rows 20000 --due 200 --at-once 100000
BENCH_QUICK_flush := --subscribers 5000 --rounds 1
BENCHES := $(sort $(wildcard bench/*.py))

bench: $(TEST_STAMP) ## run every benchmark at quick sizes (one JSON line each)
	$(foreach b,$(BENCHES),$(BIN)/python $(b) $(BENCH_QUICK_$(basename $(notdir $(b)))) || exit 1;)

bench-full: $(TEST_STAMP) ## run every benchmark at its default (full) size, ~25 min
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean: ## remove the virtualenv and local state
	rm -rf $(VENV) instance test-artifacts
