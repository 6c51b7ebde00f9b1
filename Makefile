# medchain — build, test and run the local hospital consortium.
# The two commands a newcomer needs: `make localnet` and `make test`.

BINARY      := medchaind
BUILD_DIR   := build
BIN         := $(BUILD_DIR)/$(BINARY)
GO          ?= go
# The release (`medchaind version`) is the last entry of
# app/upgrades/releases.go, which RELEASES.md describes; the commit is git's.
COMMIT      := $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS     := -X github.com/cosmos/cosmos-sdk/version.Name=medchain \
               -X github.com/cosmos/cosmos-sdk/version.AppName=$(BINARY) \
               -X github.com/cosmos/cosmos-sdk/version.Commit=$(COMMIT)
LOCALNET_DIR ?= .localnet

.PHONY: all build install test test-unit test-race test-e2e test-upgrade cosmovisor monitoring-check lint fmt proto-gen proto-check \
        portal-wasm portal-deps portal-js portal-check localnet localnet-reset localnet-join demo-issuers demo-records demo-datanft demo-lightclient demo-integrity demo-emergency demo-bridge demo-archive bench bench-chain clean

all: build

## build: compile medchaind into build/ (with the portal's WebAssembly client embedded)
build: portal-wasm
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/medchaind

## portal-wasm: compile the portal's client cryptography (portal/wasm) to WebAssembly, with Go's loader
portal-wasm:
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags '-s -w' -o portal/dist/medchain.wasm ./portal/wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" portal/dist/wasm_exec.js
	gzip -9 -n -k -f portal/dist/medchain.wasm

## install: install medchaind into $GOBIN
install: portal-wasm
	$(GO) install -ldflags '$(LDFLAGS)' ./cmd/medchaind

## test: everything CI runs (lint, proto check, monitoring check, unit tests, system tests, upgrades from earlier releases)
test: lint proto-check portal-check monitoring-check test-unit test-e2e test-upgrade

## monitoring-check: promtool on the alert rules and their tests, the Grafana dashboard, systemd-analyze on the units (deploy/)
monitoring-check:
	bash scripts/check-monitoring.sh

## test-unit: unit and keeper tests (the DICOM corpus: scripts/dicom-corpus.sh)
test-unit:
	MEDCHAIN_DICOM_CORPUS=$$(scripts/dicom-corpus.sh) $(GO) test ./...

## test-race: unit tests under the race detector
test-race:
	$(GO) test -race ./...

## test-e2e: system tests that drive the real medchaind binary
test-e2e: build
	MEDCHAIN_DICOM_CORPUS=$$(scripts/dicom-corpus.sh) MEDCHAIN_CHROMIUM=$$(scripts/chromium.sh) MEDCHAIN_ARTEFACTS=$(CURDIR)/$(BUILD_DIR)/artefacts MEDCHAIND_BIN=$(CURDIR)/$(BIN) \
	  PROMETHEUS_BIN=$$(command -v prometheus) $(GO) test -tags e2e -count=1 -timeout 45m ./tests/... ./internal/localnet/... ./deploy/...

## cosmovisor: build cosmovisor (pinned in tools/cosmovisor/go.mod) into build/
cosmovisor:
	cd tools/cosmovisor && $(GO) build -o ../../$(BUILD_DIR)/cosmovisor cosmossdk.io/tools/cosmovisor/cmd/cosmovisor

## test-upgrade: upgrade four-hospital networks of the first and the previous release (built from git history, state written by their own CLI) to this tree through governance and cosmovisor; MEDCHAIN_UPGRADE_FROM=v0.2.0,v0.3.0 or all picks others
test-upgrade: build cosmovisor
	MEDCHAIN_DICOM_CORPUS=$$(scripts/dicom-corpus.sh) MEDCHAIND_BIN=$(CURDIR)/$(BIN) COSMOVISOR_BIN=$(CURDIR)/$(BUILD_DIR)/cosmovisor \
	  $(GO) test -tags upgrade -count=1 -timeout 45m -v -run TestUpgradeFromEarlierReleases ./tests/upgrade/

## lint: gofmt, no tracked file over 1 MiB outside portal/dist, and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './build/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	@big=$$(git ls-files -z 2>/dev/null | xargs -0 -r stat -c '%s %n' 2>/dev/null | awk '$$1 > 1048576 {print $$2}' | grep -v '^portal/dist/' || true); \
	if [ -n "$$big" ]; then echo "tracked files over 1 MiB (build output? only portal/dist may hold such files):"; echo "$$big"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./tests/... ./internal/localnet/... ./deploy/...
	$(GO) vet -tags upgrade ./tests/upgrade/

fmt:
	gofmt -w $$(git ls-files '*.go')

## proto-gen: regenerate *.pb.go / *.pb.gw.go offline (protoc + pinned plugins)
proto-gen:
	bash scripts/protocgen.sh

## proto-check: regenerate and fail if the committed generated code differs
proto-check:
	bash scripts/protocheck.sh

## portal-deps: install portal/web/node_modules from package-lock.json (Node 20 + npm)
portal-deps:
	cd portal/web && npm ci --no-audit --no-fund

## portal-js: type-check and rebuild the portal's script (portal/dist/app.js, committed) after changing portal/web/src
portal-js: portal-deps
	cd portal/web && npx tsc -p . && node build.mjs

## portal-check: fail if the committed portal/dist (app.js, viewer.js, vendor/) is not what portal/web builds
portal-check: portal-js
	@paths="portal/dist/app.js portal/dist/viewer.js portal/dist/vendor"; \
	if ! git diff --quiet -- $$paths || [ -n "$$(git ls-files --others --exclude-standard -- $$paths)" ]; then \
	  git status --short -- $$paths; echo "portal/dist is out of date with portal/web: run 'make portal-js' and commit it"; exit 1; fi

# The localnet runner is built and run as a binary, not with `go run`:
# `go run` exits 1 when Ctrl-C reaches it, so make reported an error after
# a clean stop.
LOCALNET_TOOL := $(BUILD_DIR)/localnet

.PHONY: localnet-tool
localnet-tool:
	$(GO) build -o $(LOCALNET_TOOL) ./scripts/localnet

## localnet: build and run the four-hospital consortium of config.yml (Ctrl-C stops it); COSMOVISOR=1 runs every node under cosmovisor
localnet: build localnet-tool $(if $(COSMOVISOR),cosmovisor)
	$(LOCALNET_TOOL) -config config.yml -dir $(LOCALNET_DIR) -bin $(BIN) $(if $(COSMOVISOR),-cosmovisor $(BUILD_DIR)/cosmovisor)

## localnet-reset: wipe the local consortium and start a fresh chain
localnet-reset: build localnet-tool
	$(LOCALNET_TOOL) -config config.yml -dir $(LOCALNET_DIR) -bin $(BIN) -reset

## localnet-join: admit hospital NAME to the running localnet (governance, state sync, create-validator) and run its node (Ctrl-C stops it)
localnet-join:
	@test -n "$(NAME)" || { echo "usage: make localnet-join NAME=royal-london (with make localnet running)"; exit 1; }
	@$(MAKE) --no-print-directory build localnet-tool
	$(LOCALNET_TOOL) -dir $(LOCALNET_DIR) -bin $(BIN) -join $(NAME)

## demo-issuers: admit, staff and suspend a hospital on the running localnet
demo-issuers:
	bash scripts/demo-issuers.sh

## demo-records: upload, share, request, revoke with rotation, expiry and redaction on the running localnet
demo-records: build
	bash scripts/demo-records.sh

## demo-bridge: two hospitals' Orthanc PACS store and read a study through their DICOMweb bridges on the running localnet
demo-bridge: build
	bash scripts/demo-bridge.sh

## demo-emergency: break-glass by a doctor and key recovery by a new account on the running localnet
demo-emergency: build
	bash scripts/demo-emergency.sh

## demo-datanft: de-identify, mint, list, license, fulfil and resell a data-NFT on the running localnet
demo-datanft: build
	bash scripts/demo-datanft.sh

## demo-lightclient: verified access checks, a lying node refused, a gated vault and its log, on the running localnet
demo-lightclient: build
	bash scripts/demo-lightclient.sh

## demo-archive: the cold archive on the running localnet: Filecoin pieces of st-mary's vault, recorded on chain, the vault rebuilt from them
demo-archive: build
	bash scripts/demo-archive.sh

## demo-integrity: a stranger's and a writer's attacks on a patient's payload, each refused, on the running localnet
demo-integrity: build
	bash scripts/demo-integrity.sh

## bench: benchmarks
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-chain: committed tx/s of a fresh single-node chain, 100 uploaders (scripts/bench-chain.sh has the other runs)
bench-chain: build
	$(GO) run ./scripts/bench-chain -bin $(BIN)

clean:
	rm -rf $(BUILD_DIR)

help:
	@grep -E '^## ' Makefile | sed 's/## //'
