# The two commands (see README): `make run` and `make test`. Each prepares .venv itself.
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv/bin

.PHONY: help setup run test lint bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

setup:  ## create .venv with the locked dependencies
	@scripts/bootstrap.sh

run: setup  ## run the bot: offline demo (simulator + bot + API) on SQLite
	$(VENV)/imb-bot demo

test: setup  ## run the whole test suite
	$(VENV)/pytest $(PYTEST_ARGS)

lint: setup  ## ruff (lint + format check) and mypy
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy

bench: setup  ## run the benchmarks (JSON on stdout)
	@for b in bench/bench_*.py; do $(VENV)/python $$b; done

clean:  ## remove the virtual environment and caches
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
