# Front door of the bundle. `make test` and `make report` build the project's own .venv first
# from the lock (again whenever requirements/lock.txt or pyproject.toml change), so a fresh clone
# needs only Python 3.11+.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PLATFORM := $(shell uname -s)-$(shell uname -m)
# The exact versions `make` installs: TensorFlow's CPU wheel, or its CUDA build on Linux x86_64
# where `nvidia-smi` lists a GPU (GPU=0 or GPU=1 decides instead).
ifeq ($(origin GPU),undefined)
GPU := $(if $(filter Linux-x86_64,$(PLATFORM)),$(shell nvidia-smi -L 2>/dev/null | grep -q '^GPU' && echo 1))
endif
LOCK   := requirements/lock$(if $(filter 1,$(GPU)),-gpu).txt
# Two TensorFlow wheels must never share a .venv: on Linux x86_64 the CPU lock has
# tensorflow-cpu and the GPU lock tensorflow, so a .venv switching between them drops the other.
OTHER_TF := $(if $(filter 1,$(GPU)),tensorflow-cpu,$(if $(filter Linux-x86_64,$(PLATFORM)),tensorflow))
# A .venv is rebuilt when what it is built from changes: pyproject.toml's requirements (not its
# other settings) and the files named.
BUILT_FROM = $(shell $(PYTHON) -c "import hashlib, json, sys, tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print(hashlib.sha1((json.dumps([p['dependencies'], p['optional-dependencies']]) + ''.join(open(f).read() for f in sys.argv[1:])).encode()).hexdigest()[:12])" $(1) 2>/dev/null)
STAMP  := $(VENV)/.pins-$(call BUILT_FROM,$(LOCK))
KERNEL := char-recognition
OLDEST := .venv-oldest
UV     := uv==0.13.9

# Report parameters (see `make help`); empty ones take the notebooks' defaults.
DATASET  ?=
DATA_DIR ?=
EPOCHS   ?=
LIMIT    ?=
SEED     ?=
SEEDS    ?=
MODELS   ?=
BALANCE  ?=
JOBS     ?=
ABLATION ?=
MINUTES  ?=
DOWNLOAD ?=
AUTHOR   ?=
COURSE   ?=

.DEFAULT_GOAL := help
.PHONY: help venv lock test test-oldest lint report submission model lab colab-links bench bench-data bench-balance bench-train bench-accuracy bench-read bench-serve gpu-check serve browser clean distclean

help:  ## list the targets
	@echo "make test        lint, then the test suite (creates .venv on first use), then"
	@echo "                 make test-oldest: the suite again on the oldest supported stack"
	@echo "                 (TensorFlow 2.19, Keras 3.10, numpy 2.0, pandas 2.2: requirements/oldest.txt)"
	@echo "                 installed as on Colab, in its own .venv-oldest, in the python3 kernel"
	@echo "make report      run the notebook chain headless and render the report into outputs/"
	@echo "                 parameters: DATASET= DATA_DIR= EPOCHS= LIMIT= SEED= MODELS= BALANCE="
	@echo "                 SEEDS= (trainings per network, for a mean ± sd; default 1)"
	@echo "                 JOBS= (notebooks at once within a stage; default 2, 1 on one core)"
	@echo "                 every network trains until its validation accuracy stops improving,"
	@echo "                 within its share of MINUTES= (shared by each network's measured"
	@echo "                 time per epoch; by default time for up to 25 epochs of each"
	@echo "                 at this machine's speed); EPOCHS= caps the epochs instead (then no"
	@echo "                 time limit unless MINUTES= too); the report says who converged;"
	@echo "                 before the first notebook the run says how long it will take here"
	@echo "                 DOWNLOAD=1 (fetch DATASET's files first when they are not there)"
	@echo "                 ABLATION=0 (leave out the ablation of balancing and augmentation)"
	@echo "                 AUTHOR=\"…\" COURSE=\"…\" (the title page; placeholders when unset)"
	@echo "                 KERNEL=python3 (Jupyter's own kernel instead of the project's, as on Colab)"
	@echo "                 notebooks whose code, parameters, helpers and packages are those of an"
	@echo "                 earlier complete run are reused from it; FORCE=1 runs them all"
	@echo "make submission  hand in: AUTHOR=\"…\" COURSE=\"…\" and the parameters of your report;"
	@echo "                 refuses, listing what is missing (name, course, unanswered questions,"
	@echo "                 the example network of notebook 11 with its design question unanswered);"
	@echo "                 else renders the report again (every notebook reused) and writes"
	@echo "                 outputs/latest/submission/<name>.pdf and <name>-notebooks.zip"
	@echo "make model       train the most accurate recipe on EMNIST (data/raw/emnist, or DATA_DIR=)"
	@echo "                 and save it as the default reader for predict/read/serve"
	@echo "                 parameters: DATA_DIR= DATASET= (default emnist-byclass, 47 classes) EPOCHS= LIMIT="
	@echo "                 MINUTES= (train only the epochs that fit in that time on this machine)"
	@echo "                 DOWNLOAD=1 (fetch NIST's EMNIST files first when they are not there)"
	@echo "make lab         JupyterLab on notebooks/ with the project's kernel ($(KERNEL)); PORT= (default 8888)"
	@echo "make serve       web page to upload or draw a character and read lines, on 127.0.0.1"
	@echo "                 parameters: PORT= (default 8000) MODEL= (default: make model's reader, else the latest report's best)"
	@echo "make lint        ruff over helpers/, tests/ and the notebooks"
	@echo "make lock        regenerate requirements/lock.txt, lock-gpu.txt and oldest.txt from"
	@echo "                 pyproject.toml's ranges with uv (UPGRADE=1: newest versions in range)"
	@echo "                 .venv installs lock.txt, or lock-gpu.txt on Linux x86_64 where nvidia-smi"
	@echo "                 lists a GPU (GPU=0|1 decides instead)"
	@echo "make colab-links the notebooks' Open in Colab cells and the README's table; REPO=owner/name re-points them"
	@echo "make bench       all benchmarks on real EMNIST files (OCR_EMNIST_DIR=, else data/raw/emnist):"
	@echo "                 bench-data (every loader at the write-ups' sizes, time and memory; NearMiss on the A-Z CSV),"
	@echo "                 bench-balance (NearMiss), bench-train (training in each precision,"
	@echo "                 two trainings at once, time to 88%, latency),"
	@echo "                 bench-accuracy (best recipe vs the write-ups' on byclass->47: accuracy, time),"
	@echo "                 bench-read (reading lines and photos: CER against isolated error),"
	@echo "                 bench-serve (web app under load on loopback: p50/p99 latency)"
	@echo "make gpu-check   on a machine with a GPU: one network timed on the GPU against the CPU, then a short report (EPOCHS=2, no ablation) whose table must name the GPU"
	@echo "make clean       remove derived files (outputs/, data/processed/, caches: nothing is reused"
	@echo "                 after it); keeps .venv and data/raw"
	@echo "make distclean   clean, and remove .venv too"

venv: $(STAMP)

$(STAMP):
	@$(PYTHON) -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 'Python 3.11 or newer is needed; found ' + sys.version.split()[0] + '. Run make with PYTHON=python3.11 (or newer).')"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(if $(OTHER_TF),@$(PY) -m pip uninstall --quiet --yes $(OTHER_TF) 2>/dev/null || true)
	$(PY) -m pip install --progress-bar on -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m helpers.report.kernel
	@rm -f $(VENV)/.pins-*
	@touch $@

# Regenerate the locks from pyproject.toml's ranges with uv (versions already in a lock are kept
# unless UPGRADE=1): lock.txt (Linux and macOS; tensorflow-cpu on Linux x86_64), lock-gpu.txt
# (tensorflow[and-cuda] on Linux) and oldest.txt (every direct dependency at its lower bound,
# Linux x86_64, Python 3.11).
lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(UV)
	$(VENV)/bin/uv pip compile pyproject.toml requirements/cpu.in --extra lab --extra dev \
		--override requirements/cpu-override.txt --universal --fork-strategy fewest \
		--python-version 3.11 $(if $(UPGRADE),--upgrade) -o requirements/lock.txt
	$(VENV)/bin/uv pip compile pyproject.toml --extra gpu --extra lab --extra dev --universal \
		--fork-strategy fewest --python-version 3.11 $(if $(UPGRADE),--upgrade) \
		-o requirements/lock-gpu.txt
	$(VENV)/bin/uv pip compile pyproject.toml --extra lab --extra dev --resolution lowest-direct \
		--python-platform x86_64-manylinux_2_28 --python-version 3.11 -o requirements/oldest.txt

lint: $(STAMP)
	$(VENV)/bin/ruff check helpers tests notebooks

test: lint browser
	$(PY) -m pytest
	$(MAKE) --no-print-directory test-oldest

# The oldest supported stack (requirements/oldest.txt: every direct dependency at its lower
# bound, resolved for Python 3.11), installed the way the notebooks' Colab cell installs the
# bundle: TensorFlow, Keras, numpy and pandas first, as a Colab runtime has them, then
# `python -m helpers.colab install` beside them, which must leave those four as they were. Then
# the test suite there, its notebooks in Jupyter's own `python3` kernel of that environment (the
# project's kernel is not installed there). Skipped, saying so, where no Python 3.11 is found
# (OLDEST_PYTHON= names one).
ifeq ($(origin OLDEST_PYTHON),undefined)
OLDEST_PYTHON := $(shell for p in $(PYTHON) python3.11; do $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null && echo $$p && break; done)
endif
OLDEST_STAMP := $(OLDEST)/.pins-$(call BUILT_FROM,requirements/oldest.txt helpers/colab.py)
COLAB_BASE   := ^(tensorflow|keras|numpy|pandas)==

$(OLDEST_STAMP):
	rm -rf $(OLDEST)
	$(OLDEST_PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST)/bin/python -m pip install --quiet -c requirements/oldest.txt \
		$$(grep -E '$(COLAB_BASE)' requirements/oldest.txt)
	$(OLDEST)/bin/python -m pip freeze | grep -iE '$(COLAB_BASE)' > $(OLDEST)/base.txt
	$(OLDEST)/bin/python -m helpers.colab install --extras lab,dev -c requirements/oldest.txt --quiet
	$(OLDEST)/bin/python -m pip freeze | grep -iE '$(COLAB_BASE)' | diff $(OLDEST)/base.txt - \
		|| { echo "installing the bundle moved TensorFlow, Keras, numpy or pandas (above)"; exit 1; }
	@touch $@

test-oldest: $(if $(OLDEST_PYTHON),$(OLDEST_STAMP))
ifeq ($(OLDEST_PYTHON),)
	@echo "test-oldest: skipped: no Python 3.11 here (requirements/oldest.txt is resolved for it;"
	@echo "             TensorFlow 2.19 has no wheels for 3.13); OLDEST_PYTHON=/path/to/python3.11 runs it"
else
	@echo "the oldest supported stack: $$(tr '\n' ' ' < $(OLDEST)/base.txt)"
	OCR_KERNEL=python3 JUPYTER_PREFER_ENV_PATH=1 $(OLDEST)/bin/python -m pytest -p no:cacheprovider
endif

# Debian's Chromium for the end-to-end test of the web page. Installed when missing and this
# is a root shell with apt-get; otherwise that test is skipped with the reason.
browser:
	@if ! command -v chromium >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] \
	    && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser test ..."; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends chromium; } >/dev/null 2>&1 \
	    || echo "could not install chromium: the browser test will be skipped"; \
	fi

report: $(STAMP)
	$(PY) -m helpers.report \
		$(if $(DATASET),--dataset "$(DATASET)") $(if $(DATA_DIR),--data-dir "$(DATA_DIR)") \
		$(if $(EPOCHS),--epochs "$(EPOCHS)") $(if $(LIMIT),--limit "$(LIMIT)") \
		$(if $(SEED),--seed "$(SEED)") $(if $(SEEDS),--seeds "$(SEEDS)") \
		$(if $(MODELS),--models "$(MODELS)") \
		$(if $(BALANCE),--balance "$(BALANCE)") $(if $(JOBS),--jobs "$(JOBS)") \
		$(if $(MINUTES),--minutes "$(MINUTES)") $(if $(filter 1 yes true,$(DOWNLOAD)),--download) \
		$(if $(filter 0 no false,$(ABLATION)),--no-ablation) \
		$(if $(filter 1 yes true,$(FORCE)),--force) \
		$(if $(AUTHOR),--author "$(AUTHOR)") $(if $(COURSE),--course "$(COURSE)") \
		$(if $(filter-out char-recognition,$(KERNEL)),--kernel "$(KERNEL)")

# Hand in: refuse at once when something is missing, else render the report again with the
# same parameters (the name, course and answers are in it; every notebook is reused) and pack
# the final PDF and the executed notebooks into outputs/latest/submission/.
SUBMIT_AS := $(if $(AUTHOR),--author "$(AUTHOR)") $(if $(COURSE),--course "$(COURSE)")
submission: $(STAMP)
	$(PY) -m helpers.report submit --check $(SUBMIT_AS) $(if $(MODELS),--models "$(MODELS)") \
		$(if $(filter 0 no false,$(ABLATION)),--no-ablation)
	$(MAKE) --no-print-directory report
	$(PY) -m helpers.report submit $(SUBMIT_AS)

lab: PORT ?= 8888
lab: $(STAMP)
	@$(PY) -m helpers.report.kernel >/dev/null  # TensorFlow's C++ start-up lines stay out of the cells
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --port=$(PORT) \
		--FileContentsManager.pre_save_hook=helpers.report.kernel.save_as_committed \
		$(if $(filter 0,$(shell id -u)),--allow-root)  # containers often run as root

# The most accurate recipe on the EMNIST files present, saved as the default reader
# (outputs/model/reader.keras) for predict, read and serve. DATA_DIR= LIMIT= EPOCHS= DATASET=
# MINUTES= DOWNLOAD=1
model: $(STAMP)
	$(PY) -m helpers model $(if $(DOWNLOAD),--download) \
		$(if $(DATASET),--dataset "$(DATASET)") $(if $(DATA_DIR),--data-dir "$(DATA_DIR)") \
		$(if $(EPOCHS),--epochs "$(EPOCHS)") $(if $(LIMIT),--limit "$(LIMIT)") \
		$(if $(SEED),--seed "$(SEED)") $(if $(MINUTES),--minutes "$(MINUTES)")

bench: bench-data bench-balance bench-train bench-accuracy bench-read bench-serve

bench-data: $(STAMP)
	$(PY) tests/benchmarks/bench_data.py

bench-balance: $(STAMP)
	$(PY) tests/benchmarks/bench_balance.py

bench-train: $(STAMP)
	$(PY) tests/benchmarks/bench_train.py

bench-accuracy: $(STAMP)
	$(PY) tests/benchmarks/bench_accuracy.py

bench-read: $(STAMP)
	$(PY) tests/benchmarks/bench_read.py

bench-serve: $(STAMP)
	$(PY) tests/benchmarks/bench_serve.py

gpu-check: $(STAMP)
	$(PY) tests/benchmarks/gpu_check.py

# Every notebook's first cells (the Colab link and setup) and the README's table of Colab
# links, from pyproject.toml's repository address; REPO=owner/name sets that address first.
# Standard library only: no .venv needed.
colab-links:
	$(PYTHON) -m helpers.colab links $(if $(REPO),--repo "$(REPO)")

# The web page on http://127.0.0.1:$(PORT)/ with make model's reader (else the latest report's
# best model), or MODEL=path.
serve: PORT ?= 8000
serve: $(STAMP)
	$(PY) -m helpers serve --port $(PORT) $(if $(MODEL),--model "$(MODEL)")

clean:
	find outputs data/processed -mindepth 1 ! -name README.md ! -name .gitkeep -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache
	find helpers tests -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(OLDEST) *.egg-info
