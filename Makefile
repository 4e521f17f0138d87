# archft: `make reproduce` runs the study, `make test` runs every test. Both set themselves up.
SHELL := /bin/bash
# The active virtual environment, else ./.venv (created on first use).
VENV ?= $(or $(VIRTUAL_ENV),$(CURDIR)/.venv)
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# Extra pip requirement for torch itself, e.g. TORCH_SPEC="torch==2.14.1 torchvision==0.29.1".
TORCH_SPEC ?=
# Offline development machines keep the data beside the checkout.
ARCHFT_DATA ?= $(if $(wildcard ../shared/data/cifar10-subset.npz),$(abspath ../shared/data),$(CURDIR)/data)
export ARCHFT_DATA
PROFILE ?= auto

.PHONY: setup test reproduce export clean-nbs bench source-weights
.PHONY: outputs docs lab
setup: $(VENV)/.archft-installed

$(VENV)/.archft-installed: settings.ini setup.py pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --upgrade pip >/dev/null
	$(if $(strip $(TORCH_SPEC)),$(PY) -m pip install $(TORCH_SPEC))
	$(PY) -m pip install -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

# Every notebook under the smoke profile (nbdev_test), then pytest; both on two workers, then the Ray tests on their own
# (a Ray node that cannot start within 30 s gives up, as it does beside a busy worker on 2 cores).
TEST_ENV = ARCHFT_PROFILE=smoke ARCHFT_DOWNLOAD=0 ARCHFT_RESULTS=$(CURDIR)/.test-results OMP_NUM_THREADS=1 \
  ARCHFT_CACHE=$(CURDIR)/.test-cache/archft TORCH_HOME=$(CURDIR)/.test-cache/torch
test: setup
	$(TEST_ENV) $(BIN)/nbdev_test --n_workers 2 --timing
	$(TEST_ENV) $(BIN)/pytest -q -n 2 -m "not ray" --durations=10 tests
	$(TEST_ENV) $(BIN)/pytest -q -m ray --durations=3 tests

# The study: the plan `reproduce` of archft.study (nbs/19_study.ipynb) under $(PROFILE). Each step is a reproduce
# notebook (with its papermill parameters) preceded by its units (archft.units); every unit and notebook runs on one of
# WORKERS local processes of one thread each (default: the machine's cores) as soon as what it reads is done, or the units
# on a Ray cluster (BACKEND=ray; RAY_ADDRESS names it, else a local one). What is stored is read back, not computed
# again. Each step's start and end: results/reproduce_<profile>.log (the measured minutes); then results/REPORT.md.
# The study's other runs are plans of the same command (fig4-live, sensitivity, ablations, resnet50, the live regimes,
# the gap study at every seed): `$(PY) -m archft.study list`, then `$(PY) -m archft.study run --plan <plan> --profile cpu`.
BACKEND ?= local
WORKERS ?=
STUDY_ARGS ?=
reproduce: setup
	$(PY) -m archft.study run --plan reproduce --profile $(PROFILE) --backend $(BACKEND) $(if $(WORKERS),--workers $(WORKERS)) $(STUDY_ARGS)

export: setup
	$(BIN)/nbdev_export

clean-nbs: setup
	$(BIN)/nbdev_clean

# The library notebooks and the index executed in place under the smoke profile (what their own examples use; the
# environment of `make test`), one thread, then cleaned by nbdev_clean, which keeps the outputs (settings.ini:
# clear_all = False) and drops metadata and execution counts. Only the outputs change (tools/take_outputs.py), and only
# where the notebook ran through.
# After changing notebooks: `make outputs` (or NBS="nbs/11_supernet.ipynb ..."), then commit them.
NBS ?= $(sort $(wildcard nbs/[0-9]*.ipynb)) nbs/index.ipynb
outputs: setup
	set -e; mkdir -p .outputs-tmp; for nb in $(NBS); do \
	  echo "$$(date +%T) $$nb"; \
	  ARCHFT_PROFILE=smoke ARCHFT_DOWNLOAD=0 ARCHFT_RESULTS=$(CURDIR)/.test-results OMP_NUM_THREADS=1 \
	  MPLBACKEND=module://matplotlib_inline.backend_inline \
	    $(BIN)/papermill "$$nb" ".outputs-tmp/$$(basename $$nb)" --cwd nbs -k python3 --no-progress-bar; \
	  $(PY) tools/take_outputs.py ".outputs-tmp/$$(basename $$nb)" "$$nb"; $(BIN)/nbdev_clean --fname "$$nb"; \
	done; rm -r .outputs-tmp
	@ls -l $(NBS) | awk '{printf "%8.0f kB  %s\n", $$5/1024, $$9}'

# The documentation site in _docs/: nbdev_docs (nbdev's processing step, then Quarto; README.md is left as it is).
# Quarto is a program of its own: `$(BIN)/nbdev_install_quarto` (internet; sudo on Linux) or quarto.org. The
# processing step alone, no Quarto needed, is tests/test_docs.py (part of `make test`).
docs: setup
	@command -v quarto >/dev/null || { echo "make docs: Quarto is not installed. Install it with" \
	  "'$(BIN)/nbdev_install_quarto' (needs the internet; sudo on Linux) or from https://quarto.org/docs/get-started/," \
	  "then run 'make docs' again. Without Quarto, '$(BIN)/pytest -q tests/test_docs.py' runs nbdev's processing step alone."; exit 1; }
	$(BIN)/nbdev_docs --n_workers 1

# The project in JupyterLab with its kernel (the environment's python3, installed by `make setup`).
LAB_ARGS ?=
lab: setup
	$(BIN)/jupyter lab --notebook-dir=$(CURDIR) $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) nbs/index.ipynb

bench: setup
	$(PY) benchmarks/bench_loader.py

# A published source network made again: `make source-weights ARCH=resnet18 STEPS=9000` pretrains ARCH on the
# official Tiny ImageNet (the offline sample where it is absent, or SOURCE=...) and writes <arch>-<data>-32.pt and
# its .json into WEIGHTS_OUT (default: the first folder of $ARCHFT_WEIGHTS, else weights/, where weights="auto" finds
# it; one CPU thread by default: THREADS=1), and a copy of the .json into results/source_weights/ beside the results
# that name it. About an hour for resnet18 at 9,000 steps, 28-38 min for resnet50 at 2,000.
ARCH ?= resnet18
STEPS ?= 9000
SOURCE ?=
THREADS ?= 1
WEIGHTS_OUT ?=
source-weights: setup
	set -o pipefail; pt=$$(OMP_NUM_THREADS=$(THREADS) $(PY) -c "import torch; torch.set_num_threads($(THREADS)); \
	  from archft.pretrained import publish_source_weights as p; \
	  print(p('$(ARCH)', '$(SOURCE)' or None, steps=$(STEPS), out_dir='$(WEIGHTS_OUT)' or None, \
	          command='make source-weights ARCH=$(ARCH) STEPS=$(STEPS) SOURCE=$(SOURCE)'))" | tail -n1); \
	echo "$$pt"; mkdir -p results/source_weights; cp "$${pt%.pt}.json" results/source_weights/
