# The two commands: `make run` starts the platform, `make test` passes every test.
# Both install what they need: uv (into .state/tools), then the locked workspace (.venv):
# the hash-pinned third-party packages of locks/workspace.txt, and the workspace's own
# packages editable on top of them.

SHELL := /bin/bash
UV_VERSION := 0.13.8
TOOLS := .state/tools
UV := $(or $(shell command -v uv 2>/dev/null),$(TOOLS)/bin/uv)
PY := .venv/bin/python
export UV_PYTHON_DOWNLOADS := never

.PHONY: install run demo bench docs deploy-check stop status mail token test lock clean contracts-check contracts-schemas dead-letters replay

$(TOOLS)/bin/uv:
	@command -v python3 >/dev/null || { echo "error: Python 3.11 or newer is needed and python3 is not on PATH; install it."; exit 2; }
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

WORKSPACE_PACKAGES := contracts runtime deploy/local $(wildcard services/*)

.venv/.synced: locks/workspace.txt pyproject.toml */pyproject.toml services/*/pyproject.toml deploy/local/pyproject.toml | $(UV)
	@test -x $(PY) || $(UV) venv --quiet .venv
	@$(UV) pip sync --quiet --python $(PY) --require-hashes locks/workspace.txt
	@$(UV) pip install --quiet --python $(PY) --no-deps $(addprefix -e ./,$(WORKSPACE_PACKAGES))
	@$(UV) pip check --quiet --python $(PY) || { echo "error: locks/workspace.txt misses a dependency; run make lock"; exit 1; }
	@touch $@

install: .venv/.synced  ## the locked workspace in .venv, and the compiled parts (record unpacking, usage reader and tally) if a C compiler is here
	@$(PY) runtime/build_compiled.py --optional

run: install  ## start Kafka, PostgreSQL, Stripe emulator, SMTP mailbox and the four services
	@$(PY) -m devstack run

demo: install  ## tell the walking skeleton's story on a platform of its own, step by step
	@$(PY) -m devstack demo

stop:  ## stop what `make run` started, wherever it runs
	@if [ -x $(PY) ]; then $(PY) -m devstack stop; else echo "No stack is running."; fi

status: install
	@$(PY) -m devstack status

token: install  ## a development bearer token: make token EMAIL=you@example.com
	@$(PY) -m billing_runtime.auth token --email $(EMAIL)

mail: install  ## list the SMTP mailbox of `make run` (N=3 shows message 3)
	@$(PY) -m devstack mail $(if $(N),--show $(N))

test: install contracts-check deploy-check  ## every test, against the real local stack
	$(PY) -m pytest --ignore=tests/deploy $(PYTEST_ARGS)

bench: install  ## ingestion benchmark on a stack of its own (BENCH_EVENTS=1000000; BENCH_QUICK=1 for 100k)
	$(PY) -m bench.ingestion

docs: install  ## write every service's OpenAPI and AsyncAPI documents to docs/api
	@$(PY) -m devstack.docs docs/api

contracts-check: install  ## fail if the code drifted from the committed schemas, or a revision broke compatibility
	$(PY) -m billing_contracts.registry check

contracts-schemas: install  ## append a schema revision for each compatible change; refuse an incompatible one
	$(PY) -m billing_contracts.registry generate

dead-letters: install  ## list the dead letters of TOPIC (e.g. make dead-letters TOPIC=usage.recorded)
	@$(PY) -m billing_runtime.messaging.dead_letter_cli list $(TOPIC)

replay: install  ## replay one: make replay TOPIC=usage.recorded AT=0:17 [VALUE=fixed.json]
	@$(PY) -m billing_runtime.messaging.dead_letter_cli replay $(TOPIC) --at $(AT) $(if $(VALUE),--value-file $(VALUE))

lock: | $(UV)  ## after changing dependencies (UPGRADE=1 to move every package to its newest)
	UV=$(UV) locks/compile.sh

clean: stop
	rm -rf .state/run .state/test-*

# --- deploy-check: the deployment manifests (deploy/), rendered, validated offline, true to the code
KUSTOMIZE_VERSION := v5.7.1
COMPOSE_GO_VERSION := v2.16.2
DEPLOY_VENV := $(TOOLS)/deploy-check

$(TOOLS)/kustomize-$(KUSTOMIZE_VERSION).stamp:
	@command -v go >/dev/null || { echo "error: kustomize $(KUSTOMIZE_VERSION) is built from source with Go 1.22.7 or newer, and go is not on PATH; install Go."; exit 2; }
	GOBIN=$(abspath $(TOOLS)/bin) GOTOOLCHAIN=auto GOFLAGS=-buildvcs=false nice go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
	@touch $@

$(TOOLS)/compose-spec-$(COMPOSE_GO_VERSION).stamp: | .venv/.synced
	@command -v go >/dev/null || { echo "error: the Compose Specification schema comes from the Go module compose-go, and go is not on PATH; install Go."; exit 2; }
	cp "$$(cd $(TOOLS) && go mod download -json github.com/compose-spec/compose-go/v2@$(COMPOSE_GO_VERSION) | $(abspath $(PY)) -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')/schema/compose-spec.json" $(TOOLS)/compose-spec.json
	@touch $@

$(DEPLOY_VENV)/.installed: deploy/check-requirements.txt | .venv/.synced
	rm -rf $(DEPLOY_VENV)
	$(UV) venv --quiet --python $(PY) $(DEPLOY_VENV)
	$(UV) pip install --quiet --python $(DEPLOY_VENV)/bin/python -r deploy/check-requirements.txt
	@touch $@

deploy-check: install $(TOOLS)/kustomize-$(KUSTOMIZE_VERSION).stamp $(TOOLS)/compose-spec-$(COMPOSE_GO_VERSION).stamp $(DEPLOY_VENV)/.installed  ## render, validate and check deploy/ against the code
	$(PY) deploy/check.py
	$(PY) -m pytest -q -p no:cacheprovider tests/deploy
