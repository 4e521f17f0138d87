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
REPRODUCE ?= table1 table2 fig3 fig4 early_stopping temperature td_darts_gap td_darts_cifar10 td_darts_cifar100

.PHONY: setup test reproduce sensitivity export clean-nbs bench source-weights
setup: $(VENV)/.archft-installed

$(VENV)/.archft-installed: settings.ini setup.py pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --upgrade pip >/dev/null
	$(if $(strip $(TORCH_SPEC)),$(PY) -m pip install $(TORCH_SPEC))
	$(PY) -m pip install -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

# Every notebook under the smoke profile (nbdev_test), then pytest.
test: setup
	ARCHFT_PROFILE=smoke ARCHFT_DOWNLOAD=0 ARCHFT_RESULTS=$(CURDIR)/.test-results OMP_NUM_THREADS=1 \
	  $(BIN)/nbdev_test --n_workers 2 --timing
	ARCHFT_PROFILE=smoke ARCHFT_DOWNLOAD=0 ARCHFT_RESULTS=$(CURDIR)/.test-results $(BIN)/pytest -q tests

# The reproduction notebooks under $(PROFILE), executed into results/<experiment>/<profile>/, then results/REPORT.md.
# fig3 and fig4 run for every arch in $(ARCHS) (resnet18: Fig. 3a/4a, resnet50: Fig. 3b/4b). ARGS_fig3_resnet50 holds
# extra papermill arguments for ResNet-50's Fig. 3: by default it leaves out the supernet-init variant (a third
# fine-tuning per scope and seed, 40% of its time on the CPU; ARGS_fig3_resnet50= runs it).
# BACKEND=ray runs the notebooks' units as Ray tasks (archft.units) on the cluster RAY_ADDRESS names, else a local one.
ARCHS ?= resnet18 resnet50
ARGS_fig3_resnet50 ?= -p variant False
BACKEND ?= local
reproduce: setup
	set -e; prof=$$($(PY) -c "from archft.config import resolve_profile_name as r; print(r('$(PROFILE)'))"); \
	for nb in $(REPRODUCE); do \
	  case $$nb in fig3|fig4) archs="$(ARCHS)";; *) archs="-";; esac; \
	  for arch in $$archs; do \
	    out=results/$$nb/$$prof; mkdir -p $$out; \
	    if [ $$arch = - ]; then args=""; name=reproduce_$$nb; else args="-p arch $$arch"; name=reproduce_$$nb-$$arch; fi; \
	    case $$nb-$$arch in fig3-resnet50) args="$$args $(ARGS_fig3_resnet50)";; esac; \
	    $(BIN)/papermill nbs/reproduce_$$nb.ipynb $$out/$$name.ipynb -p profile $$prof $$args \
	      $(if $(filter-out local,$(BACKEND)),-p backend $(BACKEND)) --cwd nbs; \
	  done; \
	done
	$(BIN)/archft-report results

# A sensitivity run beside the study: Fig. 4 and the early-stopping study with another controller learning rate.
CONTROLLER_LR ?= 0.0035
sensitivity: setup
	set -e; prof=$$($(PY) -c "from archft.config import resolve_profile_name as r; print(r('$(PROFILE)'))"); \
	for nb in fig4 early_stopping; do \
	  mkdir -p results/$$nb/$$prof; \
	  $(BIN)/papermill nbs/reproduce_$$nb.ipynb results/$$nb/$$prof/reproduce_$$nb-clr$(CONTROLLER_LR).ipynb \
	    -p profile $$prof -p controller_lr $(CONTROLLER_LR) --cwd nbs; \
	done
	$(BIN)/archft-report results

export: setup
	$(BIN)/nbdev_export

clean-nbs: setup
	$(BIN)/nbdev_clean

bench: setup
	$(PY) benchmarks/bench_loader.py

# A published source network made again: `make source-weights ARCH=resnet18 STEPS=9000` pretrains ARCH on the
# official Tiny ImageNet (the offline sample where it is absent, or SOURCE=...) and writes <arch>-<data>-32.pt and
# its .json into WEIGHTS_OUT (default: the first folder of $ARCHFT_WEIGHTS, else weights/, where weights="auto" finds
# it; one CPU thread by default: THREADS=1). About an hour for resnet18 at 9,000 steps, 38 min for resnet50 at 2,000.
ARCH ?= resnet18
STEPS ?= 9000
SOURCE ?=
THREADS ?= 1
WEIGHTS_OUT ?=
source-weights: setup
	OMP_NUM_THREADS=$(THREADS) $(PY) -c "import torch; torch.set_num_threads($(THREADS)); \
	  from archft.pretrained import publish_source_weights as p; \
	  print(p('$(ARCH)', '$(SOURCE)' or None, steps=$(STEPS), out_dir='$(WEIGHTS_OUT)' or None, \
	          command='make source-weights ARCH=$(ARCH) STEPS=$(STEPS) SOURCE=$(SOURCE)'))"
