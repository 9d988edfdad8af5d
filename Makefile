PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rpmw demo --report demo-report.json

test: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/mypy
	$(BIN)/rpmw eval --golden eval/golden --baseline eval/baseline/metrics.json --out var/eval
	RPMW_LLM_BASE_URL= $(BIN)/rpmw eval --golden eval/golden --baseline eval/baseline/metrics.json \
		--classifier cascade --sandbox-llm reference --out var/eval-cascade
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy

bench: $(STAMP)  ## wrk (Debian package) makes the ingress figures meaningful
	$(BIN)/python bench/ingress.py
	$(BIN)/python bench/pipeline.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo-report.json
