# Secretariat — `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=
BENCH ?=
export SECRETARIAT_DATA_DIR ?= $(CURDIR)/var

# Debian packages the platform and its tests use. Installed when missing and running as root;
# otherwise the exact command is printed.
APT_PACKAGES := gettext chromium fonts-dejavu-core tesseract-ocr tesseract-ocr-vie \
	tesseract-ocr-fra tesseract-ocr-eng ghostscript poppler-utils libreoffice-writer-nogui unpaper pngquant \
	softhsm2 opensc

.PHONY: run test lint bench install system-packages assets messages migrate demo clean

run: install assets messages migrate demo
	@echo ""
	@echo "  Secretariat is starting on http://127.0.0.1:$(PORT)/"
	@echo "  Demo logins (password 'secretariat-demo'; TOTP secret in README):"
	@echo "    admin · clerk · leader · secretary · member"
	@echo ""
	@trap 'kill 0' EXIT; \
	$(PY) manage.py run_huey --workers 1 & \
	$(PY) manage.py runserver 127.0.0.1:$(PORT) --noreload

test: install assets messages
	$(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy secretariat bench agent/secretariat_agent

bench: install assets messages
	@if [ -n "$(BENCH)" ]; then $(PY) bench/run.py $(BENCH); else $(PY) bench/run.py; fi

install: $(VENV)/.installed system-packages

$(VENV)/.installed: pyproject.toml agent/pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	$(VENV)/bin/pip install --quiet -e agent/
	touch $@

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages. Run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

assets: static_build/vendor/.installed

# Third-party front-end files come from the npm registry at install time, never committed.
static_build/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	rm -rf static_build/vendor && mkdir -p static_build/vendor/pdfjs
	cp node_modules/htmx.org/dist/htmx.min.js static_build/vendor/htmx.min.js
	cp node_modules/pdfjs-dist/build/pdf.min.mjs node_modules/pdfjs-dist/build/pdf.worker.min.mjs \
	  static_build/vendor/pdfjs/
	cp -r node_modules/pdfjs-dist/cmaps node_modules/pdfjs-dist/standard_fonts static_build/vendor/pdfjs/
	touch $@

messages: install
	$(PY) manage.py compilemessages --ignore '.venv/*' -v 0

migrate: install
	$(PY) manage.py migrate --no-input -v 0

demo: migrate
	$(PY) manage.py seed_demo --if-empty

clean:
	rm -rf $(VENV) node_modules static_build
