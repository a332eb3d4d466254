# The one entry point. `make help` lists the targets; README "Commands" has one line each.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
PY := $(VENV)/bin/python
export PATH := $(VENV)/bin:$(PATH)
# Keep rebuilds incremental across clones: build outside the checkout when ~/.cache exists.
export CARGO_TARGET_DIR ?= $(if $(wildcard $(HOME)/.cache),$(HOME)/.cache/authz-target,$(CURDIR)/target)
EVENT ?= events/http-v2/allow-jwt.json
INVOKE_PORT ?= 9000
INVOKE_ADDRESS ?= 127.0.0.1
ZIP := target/lambda/authorizer/bootstrap.zip

.PHONY: help demo test build watch invoke fixtures bench explain venv clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed ## create the project venv (cargo-lambda, zig, moto, checkov, python-hcl2)

demo: venv ## run the authorizer locally on sample events (starts DynamoDB, seeds a client, prints the answers)
	bash scripts/demo.sh

test: venv ## the whole suite: fmt, clippy, unit + integration tests (moto, JWKS, Runtime API), infra gate, ARM64 build
	mkdir -p .local
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo build --locked -p authorizer
	cargo test --workspace --locked --no-fail-fast 2>&1 | tee .local/test.log
	bash infra/gate.sh $(VENV)
	$(MAKE) --no-print-directory build
	@awk '/^test result:/ {p += $$4; f += $$6} END {printf "tests: %d passed, %d failed\n", p, f}' .local/test.log

build: venv ## release ARM64 Lambda zip: target/lambda/authorizer/bootstrap.zip
	cargo lambda build --release --arm64 --locked --output-format zip -p authorizer
	mkdir -p $(dir $(ZIP))
	[ "$(CARGO_TARGET_DIR)/lambda/authorizer/bootstrap.zip" -ef $(ZIP) ] || cp "$(CARGO_TARGET_DIR)/lambda/authorizer/bootstrap.zip" $(ZIP)
	$(PY) -c 'import sys, zipfile; b = zipfile.ZipFile(sys.argv[1]).read("bootstrap"); sys.exit(0 if b[:4] == b"\x7fELF" and b[18:20] == b"\xb7\x00" else 1)' $(ZIP) \
	  || { echo "$(ZIP): bootstrap is not an aarch64 ELF" >&2; exit 1; }
	@echo "$(ZIP): aarch64 bootstrap, $$(stat -c %s $(ZIP)) bytes"

watch: venv ## cargo lambda watch with the local configuration (.local/demo.env; run `make demo` once first)
	bash scripts/demo.sh --watch

invoke: venv ## send EVENT=events/<file>.json to the running `make watch`
	cargo lambda invoke authorizer --invoke-address $(INVOKE_ADDRESS) --invoke-port $(INVOKE_PORT) --data-file $(EVENT)

explain: ## why EVENT=events/<file>.json is allowed or denied (NOW=unix sets the clock; env from .local/demo.env if present)
	set -a; [ ! -f .local/demo.env ] || . .local/demo.env; set +a; \
	cargo run --quiet --locked -p authorizer --bin explain -- $(EVENT) $(if $(NOW),--now $(NOW))

fixtures: venv ## regenerate the event fixtures (then: UPDATE_EXPECT=1 cargo test -p authorizer-tests --test replay)
	$(PY) events/generate.py

bench: venv ## speed and footprint report against references measured in the same run (JSON under the target dir)
	bash scripts/bench.sh

clean: ## remove build output and local state (keeps the venv)
	rm -rf target .local
