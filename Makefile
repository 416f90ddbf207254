# mtqe — the two commands of the README:
#   make run    install (first time) and run the default experiment offline
#   make test   install (first time) and run the test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Models and metrics must never reach for the Hugging Face hub during these targets.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run test clean-outputs

install: $(STAMP)

# torch==2.13.0 is pinned in pyproject.toml: an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=23"
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

run: install
	$(VENV)/bin/mtqe run $(ARGS)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

clean-outputs:
	rm -rf outputs multirun
