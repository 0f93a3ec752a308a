# `make run` starts the server; `make test` runs every check. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint typecheck contracts pytest pytest-workers chromium sdks clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(INSTALLED)

run: $(INSTALLED)
	scripts/run-dev

lint: $(INSTALLED)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(INSTALLED)
	$(BIN)/mypy --strict src

contracts: $(INSTALLED)
	$(BIN)/lint-imports

# The browser tests (tests/browser) need Debian's Chromium; this installs it when missing.
chromium:
	scripts/ensure-chromium

# The browser SDK tests load Auth0's SDKs from npm, bundled by Node 22 (tests/browser/sdks).
# The upstream-connection tests run node oidc-provider from npm on the same Node 22 (tests/upstream).
sdks:
	scripts/ensure-sdk-bundles
	scripts/ensure-upstream-oidc

# Two workers, each given whole modules (their module-scoped servers and fixtures start once);
# tests/README.md says why two and how to run one test alone.
pytest: $(INSTALLED) chromium sdks
	$(BIN)/pytest -n 2 --dist loadscope

# The concurrency, brute-force, refresh-reuse and code-replay tests again, against servers of
# two worker processes each (docs/deployment.md): no write lost, nothing 5xx, across processes.
WORKER_TESTS := tests/api/test_users_patch.py tests/api/test_brute_force.py \
	tests/api/test_refresh_and_userinfo.py tests/api/test_authorize.py \
	tests/api/test_account_linking.py
pytest-workers: $(INSTALLED)
	SELFAUTH_TEST_WORKERS=2 $(BIN)/pytest -n 2 --dist loadscope $(WORKER_TESTS)

test: lint typecheck contracts pytest pytest-workers

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis tests/browser/sdks/node_modules tests/browser/sdks/dist
