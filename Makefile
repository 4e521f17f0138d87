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

.PHONY: setup test reproduce resnet50-source reproduce-lane-1 reproduce-lane-2 sensitivity export clean-nbs bench source-weights
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

# The reproduction notebooks under $(PROFILE), executed into results/<experiment>/<profile>/, then results/REPORT.md.
# A run is <notebook> or <notebook>.<name> (output reproduce_<notebook>-<name>.ipynb); ARGS_<run> holds its extra
# papermill arguments (the executed notebook's warnings keep no machine paths: tools/redact_paths.py). Two lanes run side by side, one per core, each notebook training on one thread: on 2 cores two
# one-thread jobs do 1.2x the work of one 2-thread job, while a 2-thread job beside another runs 10x slower (README,
# "Threads"). Runs that read another's results share its lane: fig4 and early_stopping read fig3's searches.
# The cpu profile is the study's size (5 seeds); two runs are cut further so both lanes end within 2.5 hours on the
# 2-core AMD EPYC: the run where the mutation is live takes the medium scope at 40x40: from 33x33 to 47x47 layer3 runs on 3x3 maps and layer4 on 2x2, so 5 of the
# scope's 8 mutable layers are live, as at 64x64 (archft.space.live_layers), at 57% of the 64x64 network's multiply-adds.
# The lanes are balanced by the runs' measured times (results/reproduce_cpu.log; 5 seeds, AMD EPYC: fig3.resnet18 65 min,
# fig4 and early_stopping under a minute from its searches; the gap study 47 min, td_darts_cifar10 14 min).
# ResNet-50 (Fig. 3b, 4b) is in no lane: the source network archft can pretrain here (3.2% Tiny ImageNet top-1) does not
# transfer, so its rows read "not run" with the GPU command (REPORT.md); LANE_1="... fig3.resnet50 fig4.resnet50" runs them.
LANE_1 ?= table1 table2 temperature td_darts_cifar100 fig3.resnet18-40px td_darts_cifar10
LANE_2 ?= fig3.resnet18 fig4.resnet18 early_stopping td_darts_gap
SMALL_RUN ?= {search_iters: 100, finetune_iters: 150}
ARGS_fig3.resnet18 ?= -p arch resnet18
ARGS_fig4.resnet18 ?= -p arch resnet18
ARGS_fig3.resnet18-40px ?= -p arch resnet18 -p image_size 40 -y 'scopes: [medium]' -y 'overrides: $(SMALL_RUN)' -p variant False
ARGS_fig3.resnet50 ?= -p arch resnet50 -y 'overrides: $(SMALL_RUN)' -p variant False
ARGS_fig4.resnet50 ?= -p arch resnet50 -y 'overrides: $(SMALL_RUN)'
# The gap study starts no seed that would end its searches past an hour (nbs/reproduce_td_darts_gap.ipynb, its size)
ARGS_td_darts_gap ?= -p budget_minutes 60
# No ResNet-50 source network is published: where a ResNet-50 run would pretrain one itself (weights `auto`, none in
# the hub; archft.pretrained.needs_source_network), `make reproduce` first makes it as the committed ResNet-50 results
# were made, before the study's clock starts.
R50_SOURCE_STEPS ?= 2000
BACKEND ?= local
# Lanes side by side, except where each notebook would start its own local Ray cluster (BACKEND=ray, no RAY_ADDRESS).
LANE_JOBS ?= $(if $(and $(filter-out local,$(BACKEND)),$(if $(RAY_ADDRESS),,local-ray)),1,2)
PROFILE_NAME = $(eval PROFILE_NAME := $(shell $(PY) -c "from archft.config import resolve_profile_name as r; print(r('$(PROFILE)'))"))$(PROFILE_NAME)
REPRODUCE_LOG = results/reproduce_$(PROFILE_NAME).log
nb_of = $(firstword $(subst ., ,$(1)))
run_nb = mkdir -p results/$(call nb_of,$(1))/$(PROFILE_NAME); echo "$$(date +%T) start $(1)" | tee -a $(REPRODUCE_LOG); \
  $(BIN)/papermill nbs/reproduce_$(call nb_of,$(1)).ipynb \
    results/$(call nb_of,$(1))/$(PROFILE_NAME)/reproduce_$(subst .,-,$(1)).ipynb -p profile $(PROFILE_NAME) \
    $(ARGS_$(1)) $(if $(filter-out local,$(BACKEND)),-p backend $(BACKEND)) --cwd nbs; \
  $(PY) tools/redact_paths.py results/$(call nb_of,$(1))/$(PROFILE_NAME); echo "$$(date +%T) done $(1)" | tee -a $(REPRODUCE_LOG);
resnet50-source: setup
	@if $(PY) -c "from archft.pretrained import needs_source_network as n; raise SystemExit(not n('resnet50', '$(PROFILE_NAME)'))"; \
	  then $(MAKE) --no-print-directory source-weights ARCH=resnet50 STEPS=$(R50_SOURCE_STEPS); fi
reproduce: setup $(if $(findstring resnet50,$(LANE_1) $(LANE_2)),resnet50-source)
	@echo "$$(date '+%F %T') make reproduce, profile $(PROFILE_NAME), BACKEND=$(BACKEND), $$($(PY) -c "from archft.config import hardware; print(hardware())")" | tee -a $(REPRODUCE_LOG)
	$(MAKE) --no-print-directory -j$(LANE_JOBS) reproduce-lane-1 reproduce-lane-2
	@echo "$$(date '+%F %T') make reproduce done" | tee -a $(REPRODUCE_LOG)
	$(BIN)/archft-report results
reproduce-lane-1 reproduce-lane-2: reproduce-lane-%: setup
	@set -e; $(foreach run,$(LANE_$*),$(call run_nb,$(run)))

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

# Fig. 4 and the early-stopping study where every mutable layer is live (issue 19): from 65x65 on, layer4 of ResNet-18
# runs on 3x3 maps, so all 8 mutable layers of the medium scope can compute what the 3x3 cannot (archft.space.live_layers;
# 65 is the smallest such size for every scope of both networks; ResNet-18 is the cheaper network). The search is the cpu
# profile's (300 supernet iterations, 50 of them warm-up, 4 controller samples per iteration: 1,000 samples per seed,
# 5 seeds); the reward reads two validation batches of 128 (eval_batch_size) instead of 500, a quarter of the cost.
# Measured on the 2-core AMD EPYC with one other one-thread job beside it: 15 min a seed for the search, then stage 2
# of each seed's A* at the end and at the early stop where it fired (300 iterations at 65x65). Its minutes:
# results/reproduce_<profile>.log. Then the same search at 10x Table 2's controller rate (3.5e-3, ENAS's micro-search
# rate; 3 seeds), a sensitivity run: at Table 2's rate 12_controller's synthetic signal needs ~900 samples to fix the
# actions, so this run asks what the live supernet's reward makes a policy do that can move within the budget.
# Not part of `make reproduce`; on a GPU (paper profile) minutes.
LIVE_SIZE ?= 65
LIVE_RUN ?= {eval_batch_size: 128}
LIVE_CLR ?= 0.0035
LIVE_RUNS ?= fig4.resnet18-live early_stopping.resnet18-live fig4.resnet18-live-clr
ARGS_fig4.resnet18-live ?= -p arch resnet18 -p image_size $(LIVE_SIZE) -y 'overrides: $(LIVE_RUN)'
ARGS_early_stopping.resnet18-live ?= -p arch resnet18 -p image_size $(LIVE_SIZE) -p abstract_saving False -y 'overrides: $(LIVE_RUN)'
ARGS_fig4.resnet18-live-clr ?= -p arch resnet18 -p image_size $(LIVE_SIZE) -p controller_lr $(LIVE_CLR) \
  -y 'overrides: {eval_batch_size: 128, seeds: [0, 1, 2]}'
.PHONY: fig4-live
fig4-live: setup
	@set -e; $(foreach run,$(LIVE_RUNS),$(call run_nb,$(run)))
	$(BIN)/archft-report results

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

# The ablations beside the study, one notebook after another on one thread, their own log: the unstated 5x5
# initialisation (reproduce_kernel_init: ResNet-18 small scope at 32x32, every layer 5x5 under each reading and the 3x3
# control against vanilla, stage 2 only, `ablation_seeds` x `ablation_iters`). Its minutes: results/ablations_<profile>.log.
# Measured (cpu): 54 min on the 2-core AMD EPYC while other jobs shared it (21 runs of 800 steps, 60-330 s each);
# about 30 min on an idle one (0.1 s a step measured there). Then Fig. 3a's small scope searched and fine-tuned under
# the reading of the 5x5 start that can differ from vanilla at 32x32 (`resize`: the pretrained 3x3 interpolated to 5x5,
# which keeps what the source network learned; `kaiming` with ARGS_fig3.resnet18-resize's override changed), beside
# vanilla and a random architecture under the same reading, results named fig3_resnet18_resize.
.PHONY: ablations
ABLATIONS ?= kernel_init fig3.resnet18-resize
ARGS_fig3.resnet18-resize ?= -p arch resnet18 -y 'scopes: [small]' -y 'overrides: {kernel_init: resize}' -p variant False
ablations: REPRODUCE_LOG = results/ablations_$(PROFILE_NAME).log
ablations: setup
	@echo "$$(date '+%F %T') make ablations, profile $(PROFILE_NAME), $$($(PY) -c "from archft.config import hardware; print(hardware())")" | tee -a $(REPRODUCE_LOG)
	@set -e; $(foreach run,$(ABLATIONS),$(call run_nb,$(run)))
	@echo "$$(date '+%F %T') make ablations done" | tee -a $(REPRODUCE_LOG)
	$(BIN)/archft-report results
