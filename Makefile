# Dragoman: install, run, test and benchmark on Debian 12.
# `make install` must work on a fresh machine (CI) and be quick when nothing changed.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= python3
VENV := .venv
VENV_PY := $(VENV)/bin/python
# pip is re-run only when pyproject.toml is newer than this stamp.
STAMP := $(VENV)/.installed
TEST_OUTPUT := test-output
PYTEST_ARGS ?=

# postgresql/redis-server/dovecot-imapd: the tests start private servers from these binaries
# (openssl makes the throwaway certificate the TLS tests of the e-mail channel use).
# chromium: Playwright drives Debian's Chromium (no browser download needed).
# fonts-noto-cjk, fonts-thai-tlwg: without them Chinese and Thai render as boxes in screenshots.
# apertium*: offline machine translation (dragoman.language); apertium-apy is the
# warm server Dragoman starts on 127.0.0.1, the others are language pairs.
APT_PACKAGES := postgresql redis-server chromium fonts-noto-cjk \
	apertium apertium-apy apertium-eng-spa apertium-fr-es apertium-es-pt apertium-spa-ita \
	apertium-eng-cat apertium-spa-cat apertium-es-ro fonts-thai-tlwg \
	dovecot-imapd openssl

# apt-get needs root; developers who are not root go through sudo.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# The console's JavaScript checks (package.json pins TypeScript): `npm ci` is
# re-run only when package.json or package-lock.json is newer than this stamp.
NODE_STAMP := node_modules/.installed

.PHONY: install system-packages run test js-check bench clean messages

# The demo needs no npm packages: TypeScript is installed by js-check (and so by `make test`).
install: system-packages $(STAMP)

# dpkg-query (rather than `dpkg -s`, which also succeeds for removed packages
# whose config files remain) keeps a re-run to a few milliseconds; apt-get update
# only runs when something is actually missing. python3-venv is added when this
# python3 cannot create a venv: Debian ships ensurepip separately from python3.
system-packages:
	@missing=""; \
	for pkg in $(APT_PACKAGES); do \
	  if [ "$$(dpkg-query -W -f='$${db:Status-Status}' "$$pkg" 2>/dev/null)" != installed ]; then \
	    missing="$$missing $$pkg"; \
	  fi; \
	done; \
	if ! $(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1; then \
	  missing="$$missing python3-venv"; \
	fi; \
	if ! command -v node >/dev/null 2>&1; then \
	  missing="$$missing nodejs npm"; \
	fi; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

# Order-only on system-packages: a phony normal prerequisite would re-run pip every time.
$(STAMP): pyproject.toml requirements-hashed.txt | system-packages
	@if [ ! -x $(VENV_PY) ]; then echo "Creating $(VENV)"; $(PYTHON) -m venv $(VENV); fi
	$(VENV_PY) -m pip install --disable-pip-version-check --require-hashes --no-deps -r requirements-hashed.txt
	$(VENV_PY) -m pip install --disable-pip-version-check -e '.[test]'
	@touch $@

# Debian's nodejs comes with npm as its own package; a node installed otherwise
# (nodesource's bundles npm) is used as it is, which is why nodejs and npm are
# installed only when `node` is missing.
$(NODE_STAMP): package.json package-lock.json | system-packages
	npm ci --no-audit --no-fund
	@touch $@

# TypeScript's checker over the JSDoc-typed ES modules (jsconfig.json lists
# them), then the unit tests of tests/js/; either failing fails the build.
js-check: $(NODE_STAMP)
	node_modules/.bin/tsc --noEmit -p jsconfig.json
	node --test tests/js/*.test.mjs

# The demo's links (the bot's help-center links, mailed survey links) name
# the address it serves at, unless DRAGOMAN_PUBLIC_URL says otherwise. Its
# e-mail inbox receives mail sent to 127.0.0.1:2525 (the SMTP listener), and
# replies by e-mail are caught, never sent: admins read them on "Demo mail".
run: install
	$(VENV)/bin/dragoman db upgrade
	DRAGOMAN_PUBLIC_URL="$${DRAGOMAN_PUBLIC_URL:-http://127.0.0.1:8000}" $(VENV)/bin/dragoman demo
	DRAGOMAN_PUBLIC_URL="$${DRAGOMAN_PUBLIC_URL:-http://127.0.0.1:8000}" \
	DRAGOMAN_SMTP_LISTEN="$${DRAGOMAN_SMTP_LISTEN:-127.0.0.1:2525}" \
	DRAGOMAN_MAIL_CATCHER="$${DRAGOMAN_MAIL_CATCHER:-true}" \
	  $(VENV)/bin/dragoman serve --host 127.0.0.1 --port 8000

# The suite runs once per database backend; the tests start their own PostgreSQL.
# The two runs go side by side (one per core: each pytest is one process that
# mostly waits on one core), their lines prefixed with the backend; both always
# finish (so CI shows every failure) and make fails if either failed. Each run
# gets a clean test-output/<backend>/: the conftest writes screenshots etc. to
# $$DRAGOMAN_TEST_OUTPUT, and pytest's tmp_path dirs go under its tmp/.
# TEST_BACKENDS=sqlite runs one. --durations=25 lists each run's slowest
# set-ups, calls and tear-downs, so a test that became slow shows in CI's log.
TEST_BACKENDS ?= sqlite postgresql
test: install js-check
	@for db in $(TEST_BACKENDS); do \
	  out="$(CURDIR)/$(TEST_OUTPUT)/$$db"; \
	  rm -rf "$$out"; mkdir -p "$$out"; \
	  { DRAGOMAN_TEST_DATABASE=$$db DRAGOMAN_TEST_OUTPUT="$$out" \
	      $(VENV_PY) -m pytest --basetemp="$$out/tmp" --durations=25 $(PYTEST_ARGS) 2>&1 && status=0 || status=$$?; \
	    echo $$status > "$$out/exit-status"; } | sed -u "s/^/[$$db] /" & \
	done; \
	wait; \
	failed=""; \
	for db in $(TEST_BACKENDS); do \
	  [ "$$(cat "$(CURDIR)/$(TEST_OUTPUT)/$$db/exit-status" 2>/dev/null)" = 0 ] || failed="$$failed $$db"; \
	done; \
	if [ -n "$$failed" ]; then echo "Test suite FAILED with:$$failed"; exit 1; fi; \
	echo "Test suite passed with: $(TEST_BACKENDS)"

bench: install
	@set -- benchmarks/*.py; \
	if [ ! -e "$$1" ]; then echo "No benchmarks in benchmarks/"; exit 0; fi; \
	for script in "$$@"; do \
	  echo "=== $$script ==="; \
	  $(VENV_PY) "$$script"; \
	done

# Leaves .venv alone so the next `make install` stays fast; rm -rf .venv to rebuild it.
clean:
	rm -rf $(TEST_OUTPUT) .pytest_cache .hypothesis build dist *.egg-info
	find . -path ./$(VENV) -prune -o -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

# Re-extracts the console's strings (babel.cfg) and the customer pages' (customer_pages/texts.py) and
# merges them into every catalogue under $(CONSOLE_LOCALES) and $(WIDGET_LOCALES); translators then fill the empty msgstr
# entries. Fuzzy entries are not used until a translator clears the flag.
CONSOLE_LOCALES := dragoman/web/locales
# The customer pages' own domain (widget, survey, support form): listed in customer_pages/texts.py (WIDGET_TEXTS).
WIDGET_LOCALES := dragoman/customer_pages/locales
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg --add-location=file --sort-by-file --project=Dragoman \
	  --copyright-holder="Dragoman contributors" -o $(CONSOLE_LOCALES)/console.pot .
	$(VENV)/bin/pybabel update -i $(CONSOLE_LOCALES)/console.pot -d $(CONSOLE_LOCALES) -D console --ignore-obsolete
	$(VENV)/bin/pybabel extract --no-location --sort-output --project=Dragoman --copyright-holder="Dragoman contributors" \
	  -o $(WIDGET_LOCALES)/widget.pot dragoman/customer_pages/texts.py
	$(VENV)/bin/pybabel update -i $(WIDGET_LOCALES)/widget.pot -d $(WIDGET_LOCALES) -D widget --ignore-obsolete
