# `make demo` and `make test` work from a fresh clone: they create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean chromium

$(BIN)/proxy-sandbox: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# the CPU build of torch first, so the unpinned dependency never pulls a CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/proxy-sandbox
	$(BIN)/proxy-sandbox run cleaning-robot --steps 300000 --seed 0 --out runs/demo

# the browser test (tests/proxies/present/test_browser.py) drives Debian's headless chromium: installed here when it is
# missing and we are root (CI, a container); elsewhere install it yourself, or the test is skipped, saying so
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } || \
	  echo "chromium is missing and cannot be installed here: the browser test will be skipped"

test: $(BIN)/proxy-sandbox chromium
	$(BIN)/python -m pytest -n 2 --durations=15

lint: $(BIN)/proxy-sandbox
	$(BIN)/ruff check sandbox proxies scenarios tests

bench: $(BIN)/proxy-sandbox
	$(BIN)/proxy-sandbox bench

clean:
	rm -rf $(VENV) runs .pytest_cache
