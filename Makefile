# Two commands for a new user: `make run` (dashboard on the bundled sample) and `make test` (every check).
# `make test-fast` is the inner loop: lint, types and every test but the browser and packaging ones.
# Only python3 and pip are assumed: uv is installed with pip when missing, and uses this machine's Python.
SHELL := /bin/bash
PYTHON ?= python3
export UV_PYTHON_DOWNLOADS := never
export PIP_DISABLE_PIP_VERSION_CHECK := 1
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
PORT ?= 8501

.PHONY: uv install install-run run test test-fast lint typecheck pytest sample bench clean

uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv 2>/dev/null \
		|| $(PYTHON) -m pip install --quiet --user uv 2>/dev/null \
		|| $(PYTHON) -m pip install --quiet --user --break-system-packages uv

# The project itself is installed editable, which uv's compile-bytecode does not cover: compile its packages
# here, so every CLI call starts from bytecode even with PYTHONDONTWRITEBYTECODE=1 (set in many images).
COMPILE_OWN := $(VENV)/bin/python -m compileall -q -j 0 analytics dashboard triage_lens pages

# Everything: the app, the checks and the tests.
install: uv
	$(UV) sync --locked --compile-bytecode
	$(COMPILE_OWN)

# What running needs (no test tools); --inexact keeps tools an earlier `make test` installed.
install-run: uv
	$(UV) sync --locked --no-dev --inexact --compile-bytecode
	$(COMPILE_OWN)

run: install-run
	$(VENV)/bin/triage-lens dashboard --port $(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy analytics dashboard triage_lens pages bench

pytest: install
	$(VENV)/bin/pytest -q

# Two pytest workers (pytest-xdist), one per core; a test file stays on one worker (its module fixtures are shared).
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy analytics dashboard triage_lens pages bench
	$(VENV)/bin/pytest -q -n 2 --dist loadfile

test-fast: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy analytics dashboard triage_lens pages bench
	$(VENV)/bin/pytest -q -n 2 --dist loadfile --ignore=tests/e2e --ignore=tests/packaging

SCALE ?= 100
bench: install
	$(VENV)/bin/python -m bench.ingest
	$(VENV)/bin/python -m bench.run --scale $(SCALE)

sample: install
	$(VENV)/bin/triage-lens sample --out data/sample --seed 7 --scale 0.1

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
