# One way to run each task. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export JIANGUAN_DATABASE_URL ?= sqlite:///var/jianguan.db

.PHONY: help demo serve test test-fast lint typecheck migrate check bench system-packages vendor-echarts clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml setup.py src/jianguan/codes/_ff1_rounds.c
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed / 需要 Python 3.11 或更新版本"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

demo: $(STAMP) ## Migrate the SQLite file, seed the demo network if empty, and serve it on http://127.0.0.1:8000
	$(BIN)/jianguan db upgrade
	@mkdir -p var
	@$(BIN)/jianguan demo seed | tee var/demo-logins.txt | $(BIN)/python -m jianguan.demo.banner --host $(HOST) --port $(PORT)
	$(BIN)/jianguan serve --host $(HOST) --port $(PORT)

serve: $(STAMP) ## Serve without seeding (JIANGUAN_DATABASE_URL picks the database)
	$(BIN)/jianguan db upgrade
	$(BIN)/jianguan serve --host $(HOST) --port $(PORT)

system-packages: ## Install the Debian packages the tests need (chromium, fonts, PostgreSQL) where missing
	@bash scripts/system-packages.sh

test: $(STAMP) system-packages ## Run the whole suite on SQLite and PostgreSQL, browser tests included
	$(BIN)/jianguan db check
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## The unit tests only
	$(BIN)/python -m pytest tests/unit -q

lint: $(STAMP) ## ruff
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP) ## mypy on src (the settings are in pyproject.toml)
	$(BIN)/mypy src

migrate: $(STAMP) ## Apply the migrations to JIANGUAN_DATABASE_URL
	$(BIN)/jianguan db upgrade

check: $(STAMP) ## Fail if the models and the migrations disagree
	$(BIN)/jianguan db check

bench: $(STAMP) ## Run every benchmark and print the measured ratios (see benchmarks/README.md)
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq wrk >/dev/null; } || { echo "wrk is needed: apt-get install wrk"; exit 1; }
	@command -v redis-server >/dev/null 2>&1 || { [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq redis-server >/dev/null; } || { echo "redis-server is needed: apt-get install redis-server"; exit 1; }
	$(BIN)/python -m pip install --quiet ff3
	$(BIN)/python benchmarks/codec.py --count 1000000
	$(BIN)/python benchmarks/code_file.py --counts 1000000 10000000
	$(BIN)/python -m benchmarks.storage --batches 100 --per-batch 1000000
	$(BIN)/python -m benchmarks.verify_service --issued 100000000 --queried 1000000
	$(BIN)/python -m benchmarks.rules_cost --issued 10000000 --queried 100000 --rounds 10
	$(BIN)/python -m benchmarks.http --issued 100000000
	$(BIN)/python -m benchmarks.epcis_hash
	$(BIN)/python -m benchmarks.epcis_capture
	$(BIN)/python -m benchmarks.epcis_api
	$(BIN)/python -m benchmarks.stats

ECHARTS_VERSION := 5.6.0
vendor-echarts: ## Re-fetch Apache ECharts (the pinned version) with npm into web/static/vendor (the file is committed)
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent echarts@$(ECHARTS_VERSION) >/dev/null \
	  && tar xzf echarts-$(ECHARTS_VERSION).tgz package/dist/echarts.min.js package/LICENSE \
	  && cp package/dist/echarts.min.js $(CURDIR)/src/jianguan/web/static/vendor/echarts.min.js \
	  && cp package/LICENSE $(CURDIR)/src/jianguan/web/static/vendor/ECHARTS-LICENSE.txt && rm -rf $$tmp

clean: ## Remove the virtual environment, the compiled part and the local database
	rm -rf $(VENV) var src/jianguan/codes/_ff1_rounds*.so
