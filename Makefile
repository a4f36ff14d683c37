# Rapport — see README.md. Every target sets up .venv first.
PYTHON ?= $(shell command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test bench lint venv clean load faults messages compile openapi fuzz

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Rapport needs Python 3.12 or newer (found " + sys.version.split()[0] + ")")'
	@echo "==> Step 1 of 3: creating the virtual environment in $(VENV)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> Step 2 of 3: updating pip"
	$(BIN)/python -m pip install --progress-bar on --upgrade pip
	@echo "==> Step 3 of 3: installing Rapport and its dependencies (a few minutes the first time)"
	$(BIN)/python -m pip install --progress-bar on -e '.[dev]'
	touch $(STAMP)
	@echo "==> Installed."

run: export RAPPORT_BASE_URL ?= http://127.0.0.1:$(PORT)
run: venv
	@mkdir -p var
	@echo "==> Preparing the database"
	RAPPORT_DEBUG=1 $(BIN)/rapport migrate --no-input
	@echo "==> Loading the demo practice (first run only)"
	RAPPORT_DEBUG=1 $(BIN)/rapport demo --if-empty
	@echo "==> Starting Rapport on http://127.0.0.1:$(PORT)/"
	@# The background worker (emailed measure links, reminders) runs beside the web server.
	RAPPORT_DEBUG=1 $(BIN)/rapport worker --interval 30 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	RAPPORT_DEBUG=1 $(BIN)/rapport runserver 127.0.0.1:$(PORT)

test: venv
	$(BIN)/python -m pytest -n auto --dist loadgroup --durations=30

# The API's OpenAPI document, checked in at tests/api/openapi.json: regenerate it after a
# deliberate change to the API (tests/api/test_api_openapi.py compares the served one with it).
openapi: venv
	RAPPORT_WRITE_OPENAPI=1 $(BIN)/python -m pytest tests/api/test_api_openapi.py -q

# Schemathesis over the API's OpenAPI document, 1,000 generated requests per operation
# (`make test` runs a few per operation).
fuzz: venv
	RAPPORT_FUZZ_CASES=1000 $(BIN)/python -m pytest tests/api/test_api_fuzz.py -q

bench: venv
	$(BIN)/python -m rapport.bench

# The reliability harness (README "Reliability harness"): long runs, not part of `make test`;
# each exits non-zero when a target is missed.
USERS ?= 50
DURATION ?= 60
SUBMITTERS ?= 200
WORKERS ?= 4
REPEAT ?= 1
SUBMISSIONS ?= 20000

load: venv
	$(BIN)/python -m rapport.harness.load --users $(USERS) --duration $(DURATION) --submitters $(SUBMITTERS) \
		--workers $(WORKERS) --repeat $(REPEAT)

faults: venv
	$(BIN)/python -m rapport.harness.faults --submissions $(SUBMISSIONS)

lint: venv
	$(BIN)/ruff check rapport tests
	$(BIN)/ruff format --check rapport tests
	$(BIN)/lint-imports
	@# The type checker's Django plugin loads the settings: development ones need no secret key.
	RAPPORT_DEBUG=1 $(BIN)/mypy rapport
	$(BIN)/bandit --quiet --recursive rapport --severity-level medium

# Translations (README "Languages"). `messages` updates every catalogue from the templates, the
# code and the built-in instruments (needs GNU gettext); `compile` turns the catalogues into the
# .mo files the app reads, in Python. The .mo files are committed, so a fresh clone shows every
# language without either step.
messages: venv
	RAPPORT_DEBUG=1 $(BIN)/python -m rapport messages

compile: venv
	RAPPORT_DEBUG=1 $(BIN)/python -m rapport compilecatalogues

clean:
	rm -rf $(VENV) var staticfiles
