# eMentor developer commands. The two that matter: `make demo` and `make test` (see README.md).
.DEFAULT_GOAL := help
.PHONY: help demo test test-sqlite test-mariadb test-postgresql test-numpy2 test-fast quality requirements upgrade \
        extract_translations compile_translations dummy_translations bench clean system_deps venv

SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP_COMPILE := $(VENV)/bin/pip-compile --allow-unsafe --no-emit-index-url --no-emit-find-links --strip-extras -q
MANAGE := cd devsite && ../$(PY) -W ignore manage.py
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8000
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# The platform runs Python 3.12 only. Find one: on PATH, through pyenv (whose default may be another
# version), or in pyenv's versions folder.
PYTHON312 := $(shell \
	for candidate in "python3.12" "env PYENV_VERSION=3.12 python3.12" \
	                 $$(ls -d $$HOME/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null) /usr/bin/python3.12; do \
		if $$candidate -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1; then \
			echo "$$candidate"; break; \
		fi; \
	done)

help: ## list the commands
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-22s %s\n", $$1, $$2}'

system_deps: ## install the Debian packages the environment builds and tests with (MariaDB client headers, Chromium, gettext)
	@missing=""; \
	pkg-config --exists libmariadb 2>/dev/null || missing="$$missing libmariadb-dev pkg-config"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: requirements/dev.txt setup.py
	@$(MAKE) --no-print-directory system_deps
	@if [ -z "$(PYTHON312)" ]; then echo "Python 3.12 is required (the Open edX platform runs 3.12 only)." >&2; exit 1; fi
	@test -x $(PY) || $(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/pip-tools.txt
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/dev.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

A11Y := tests/ementor_xblock/a11y
$(A11Y)/node_modules/.installed: $(A11Y)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is required for the accessibility tests (axe-core)" >&2; exit 1; }
	cd $(A11Y) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

venv: $(VENV)/.installed $(A11Y)/node_modules/.installed ## create .venv with Python 3.12 and the pinned requirements (and axe-core)

demo: venv ## run the development site with demo data on http://127.0.0.1:8000
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) load_demo
	@echo ""
	@echo "  eMentor development site: http://$(DEMO_HOST):$(DEMO_PORT)/  (admin: http://$(DEMO_HOST):$(DEMO_PORT)/admin/)"
	@echo ""
	$(MANAGE) runserver $(DEMO_HOST):$(DEMO_PORT) --noreload

test: venv test-sqlite test-mariadb test-postgresql test-numpy2 ## the whole test suite: SQLite (everything), MariaDB, PostgreSQL, numpy 2

test-sqlite: venv ## every test, on SQLite
	$(PY) -m pytest

test-mariadb: venv ## the database-backed tests on MariaDB (as Open edX runs on MySQL)
	EMENTOR_TEST_DB=mariadb $(PY) -m pytest -m "not browser" tests/ementor_plugin tests/ementor_xblock tests/foundation

test-postgresql: venv ## the database-backed tests on PostgreSQL
	EMENTOR_TEST_DB=postgresql $(PY) -m pytest -m "not browser and not slow" tests/ementor_plugin tests/foundation

# The platform pins numpy<2 (1.26.4, what .venv holds); the matching library must run on numpy 2.x too and give
# the same bits (tests/matching/test_reference.py). Its tests need neither Django nor the plugin: a small venv.
NUMPY2_VENV := .venv-numpy2
$(NUMPY2_VENV)/.installed: requirements/numpy2.txt
	@if [ -z "$(PYTHON312)" ]; then echo "Python 3.12 is required (the Open edX platform runs 3.12 only)." >&2; exit 1; fi
	@test -x $(NUMPY2_VENV)/bin/python || $(PYTHON312) -m venv $(NUMPY2_VENV)
	$(NUMPY2_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements/numpy2.txt
	@touch $@

test-numpy2: $(NUMPY2_VENV)/.installed ## the matching library's tests again, on numpy 2.x
	$(NUMPY2_VENV)/bin/python -c "import numpy; assert numpy.__version__.startswith('2.'), numpy.__version__"
	$(NUMPY2_VENV)/bin/python -m pytest -W ignore::pytest.PytestConfigWarning tests/matching

test-fast: venv ## the fast part only: no slow, browser or integration tests
	$(PY) -m pytest -m "not slow and not browser and not integration"

quality: venv ## lint, import contracts, PII annotations at 100%, no missing migrations
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	DJANGO_SETTINGS_MODULE=devsite.settings.base PYTHONPATH=devsite $(VENV)/bin/code_annotations django_find_annotations \
		--config_file .pii_annotations.yml --lint --report --coverage
	$(MANAGE) makemigrations --check --dry-run

requirements: venv ## install the pinned requirements into .venv
	$(PY) -m pip install -q -r requirements/dev.txt

upgrade: venv ## recompile requirements/*.txt from requirements/*.in (OEP-18)
	cd requirements && for name in pip-tools base test quality dev; do \
		../$(PIP_COMPILE) --upgrade -o $$name.txt $$name.in || exit 1; \
	done
	# tox chooses Django itself for the 4.2 and 5.2 environments.
	sed -i '/^django==/d' requirements/test.txt

extract_translations: venv ## extract source strings into locale/en/LC_MESSAGES/{django,text}.po
	mkdir -p locale/en/LC_MESSAGES
	cd ementor_plugin && mkdir -p locale && ../$(VENV)/bin/django-admin makemessages -l en -d django \
		--no-location --no-obsolete --ignore "migrations/*" --ignore "tests/*"
	mv ementor_plugin/locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po
	cd ementor_xblock && mkdir -p locale && ../$(VENV)/bin/django-admin makemessages -l en -d django --no-location --no-obsolete
	mv ementor_xblock/locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/text.po
	rm -rf ementor_xblock/locale ementor_plugin/locale/en
	$(MAKE) --no-print-directory dummy_translations

dummy_translations: venv ## regenerate the "eo" pseudo-locale used to check that every string is translatable
	$(VENV)/bin/i18n_tool dummy

compile_translations: venv ## compile locale/*/LC_MESSAGES/*.po into what each package ships
	for po in locale/*/LC_MESSAGES/django.po; do \
		lang=$$(basename $$(dirname $$(dirname $$po))); \
		mkdir -p ementor_plugin/locale/$$lang/LC_MESSAGES; \
		msgfmt --check-format -o ementor_plugin/locale/$$lang/LC_MESSAGES/django.mo $$po || exit 1; \
	done
	for po in locale/*/LC_MESSAGES/text.po; do \
		lang=$$(basename $$(dirname $$(dirname $$po))); \
		mkdir -p ementor_xblock/translations/$$lang/LC_MESSAGES; \
		msgfmt --check-format -o ementor_xblock/translations/$$lang/LC_MESSAGES/text.mo $$po || exit 1; \
	done

bench: venv ## matching speed and quality against peers (prints a table, writes benchmarks/results/latest.json)
	PYTHON=$(PY) bash benchmarks/run.sh $(BENCH_ARGS)

clean: ## remove build output and caches (keeps .venv)
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache pii_report test-artifacts
	find . -name __pycache__ -not -path "./.venv/*" -prune -exec rm -rf {} +
