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
# espeak-ng speaks the calls; chromium runs the browser tests; sox, tmux and poppler-utils (pdftoppm) are used by tests;
# postgresql gives the tests a throwaway cluster of their own (tests/pg_support.py; never a server already running).
DEBIAN_PACKAGES := espeak-ng libespeak-ng1 chromium sox tmux poppler-utils postgresql openssl
AXE_VERSION := 4.10.3
AXE := tests/.axe/node_modules/axe-core/axe.min.js

.PHONY: demo test test-fast setup system-packages lint bench clean

demo: setup
	PORT=$(PORT) $(BIN)/queue-server demo --port $(PORT)

test: setup lint $(AXE)
	$(PYTEST)

# While developing: the tests that start neither a server nor a browser (markers: pyproject.toml, tests/conftest.py).
test-fast: setup
	$(PYTEST) -m "not browser and not live"

setup: system-packages $(VENV)/.installed

system-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

# axe-core, the WCAG checker tests/test_accessibility.py runs in Chromium: from the npm registry, pinned, kept out of
# git (tests/.axe/). npm comes from Debian when the machine has none (any npm will do).
$(AXE):
	@command -v npm >/dev/null || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; }
	npm install --no-audit --no-fund --silent --prefix tests/.axe axe-core@$(AXE_VERSION)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
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
