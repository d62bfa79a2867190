# Two commands matter: `make run` and `make test`. Everything else is what they call.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
TRANSLATIONS ?= translations
export FLASK_APP := app

.PHONY: run test bench bench-profile bench-open-data install lock compile-translations translations database lint system-deps bench-deps smoke-production backup restore

# The SMS worker runs beside the web server, as in production: it sends the outbox (with
# the default SMS_BACKEND=log it only logs that it did), schedules reminders and follow-ups,
# builds the open data and applies the retention periods. Ctrl+C stops both.
run: database
	@echo "Serving on http://$(HOST):$(PORT)/ with the SMS worker beside it (Ctrl+C stops both)"
	@$(BIN)/flask sms worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: install compile-translations system-deps
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: install compile-translations bench-deps
	$(BIN)/python bench/run.py
	$(MAKE) --no-print-directory bench-open-data

# Where the workshop page's time goes: a profile of 200 requests on the SQLite bench data.
bench-profile: install compile-translations
	$(BIN)/python bench/run.py --profile

# The open-data attacker on the bench data (SQLite), full size and scaled down: ~1 minute.
bench-open-data: install compile-translations
	$(BIN)/python bench/attack_open_data.py

install: $(VENV)/.installed

# Exact versions from the lock file (hash-checked), so a new release of anything cannot change
# a run without a commit here; then the project itself, built with the locked setuptools.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# After changing dependencies in pyproject.toml: pin every package again (newest allowed).
lock: install
	$(BIN)/python -m pip install --quiet uv
	echo "setuptools>=69" | $(BIN)/uv pip compile pyproject.toml - --extra test --universal \
		--python-version 3.11 --generate-hashes --quiet -o requirements.lock

compile-translations: install
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS) -D messages

# After adding or changing user-facing text, or a language to LANGUAGES: refresh the
# catalogues (creating the missing ones), translate, compile.
translations: install
	$(BIN)/pybabel extract -F translations/babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 \
		--sort-by-file --project "Internet 4all workshops" -o $(TRANSLATIONS)/messages.pot .
	for language in $$($(BIN)/python -c "from workshops.config import configured_languages; \
			print(*configured_languages())"); do \
		test -f $(TRANSLATIONS)/$$language/LC_MESSAGES/messages.po || \
		$(BIN)/pybabel init -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l $$language \
		|| exit 1; \
	done
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching --ignore-obsolete
	$(MAKE) compile-translations

database: install compile-translations
	$(BIN)/flask db upgrade
	$(BIN)/flask seed
	$(BIN)/flask demo --if-empty

# The deployment in deploy/ on loopback (nginx, two gunicorn nodes, two SMS workers, a
# throw-away PostgreSQL database on SMOKE_POSTGRES_URL), checked as a client: ~1 minute.
smoke-production: install compile-translations smoke-deps
	$(BIN)/python deploy/smoke_production.py

# A consistent copy of DATABASE_URL's database while the portal runs (pg_dump custom format
# for PostgreSQL, SQLite's online backup API for SQLite); `make restore` puts one back into
# an empty database. BACKUP=path/to/file (default: instance/backups/<date-time>.backup).
BACKUP ?= instance/backups/$(shell date -u +%Y%m%dT%H%M%SZ).backup
backup: install
	$(BIN)/flask backup create $(BACKUP)

restore: install
	test -n "$(BACKUP_FILE)" || (echo "Say which: make restore BACKUP_FILE=path"; exit 1)
	$(BIN)/flask backup restore $(BACKUP_FILE)

lint: install
	$(BIN)/ruff check .

# Debian packages the suite needs: Chromium for browser tests, gettext for msgfmt --check.
system-deps:
	@$(MAKE) --no-print-directory ensure-packages PACKAGES="chromium:chromium msgfmt:gettext"

bench-deps:
	@$(MAKE) --no-print-directory ensure-packages PACKAGES="wrk:wrk"

smoke-deps:
	@$(MAKE) --no-print-directory ensure-packages \
		PACKAGES="nginx:nginx pg_dump:postgresql-client pg_restore:postgresql-client"

.PHONY: ensure-packages
ensure-packages:
	@missing=""; for pair in $(PACKAGES); do \
		command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing; \
		else echo "Missing Debian packages:$$missing — run: sudo apt-get install$$missing"; exit 1; fi; \
	fi
