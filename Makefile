# One command to run the demo mall, one to run the tests. Both set up everything they need on a fresh
# Debian machine: Debian packages (with apt-get, as root or through sudo) and a Python virtualenv.

PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
# The tests run in parallel (pytest-xdist), one file per worker at a time so that a file's shared server or cluster is
# started once; one worker more than the cores, as most of a test's time is spent waiting on a server or a browser.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile
# What the server needs to run: espeak-ng speaks the calls (pyttsx3). A mall's box needs nothing more (`make install`).
RUNTIME_PACKAGES := espeak-ng libespeak-ng1
# What the tests need besides: chromium runs the browser tests; sox, tmux, poppler-utils (pdftoppm) and openssl are used
# by tests; postgresql gives them a throwaway cluster of their own (tests/pg_support.py; never a server already running).
TEST_PACKAGES := chromium sox tmux poppler-utils postgresql openssl
AXE_VERSION := 4.10.3
AXE := tests/.axe/node_modules/axe-core/axe.min.js

.PHONY: demo install test test-fast setup runtime-packages test-packages lint bench clean

demo: install
	PORT=$(PORT) $(BIN)/queue-server demo --port $(PORT)

test: setup lint $(AXE)
	$(PYTEST)

# While developing: the tests that start neither a server nor a browser (markers: pyproject.toml, tests/conftest.py).
test-fast: setup
	$(PYTEST) -m "not browser and not live"

# A mall's box: the server and what it runs on, no test tools (docs/deployment.md, section 4). `make install
# EXTRAS=postgresql` adds the PostgreSQL driver.
EXTRAS ?=
install: runtime-packages $(VENV)/.runtime
	$(if $(EXTRAS),$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]')

# A developer's or CI's machine: the server, the test tools and their Debian packages.
setup: install test-packages $(VENV)/.installed

# Debian packages missing from the machine, installed with apt-get (as root, or through sudo); python3-venv too when
# $(PYTHON) cannot make a virtualenv (a minimal Debian lacks ensurepip).
define apt-install
	@missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
endef

runtime-packages:
	$(call apt-install,$(RUNTIME_PACKAGES))

test-packages:
	$(call apt-install,$(TEST_PACKAGES))

# axe-core, the WCAG checker tests/test_accessibility.py runs in Chromium: from the npm registry, pinned, kept out of
# git (tests/.axe/). npm comes from Debian when the machine has none (any npm will do).
$(AXE):
	@command -v npm >/dev/null || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; }
	npm install --no-audit --no-fund --silent --prefix tests/.axe axe-core@$(AXE_VERSION)

$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed: $(VENV)/.runtime pyproject.toml
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

# ruff (lint and format), mypy strict on every package, and the import contracts of pyproject.toml.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	bash bench/run_all.sh

clean:
	rm -rf $(VENV) var *.egg-info .pytest_cache .mypy_cache .ruff_cache
