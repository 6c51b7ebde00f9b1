#!/usr/bin/env bash
# Regenerates the Go code for every proto package under proto/ (gogoproto
# messages and gRPC stubs, grpc-gateway handlers) into x/<module>/types.
#
# Offline by design: protoc comes from the system package manager, the two
# plugins are built from the versions pinned in tools/go.mod, and every
# third-party .proto is read from the Go module cache at the versions pinned in
# go.mod. Nothing is fetched from a buf or other remote registry.
#
# When the portal project (portal/web) exists, the same protoc and the same
# include paths then generate its TypeScript client into portal/web/src/gen
# with ts-proto, the plugin pinned in portal/web/package-lock.json. That step
# needs Node 20 and npm; node_modules is installed with `npm ci` when missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODULE_PATH="github.com/medchain/medchain"
TOOLS_BIN="${ROOT}/build/tools"
# The web portal and its generated TypeScript client, relative to ROOT.
PORTAL_DIR="portal/web"
TS_GEN_DIR="${PORTAL_DIR}/src/gen"
TS_PLUGIN="${PORTAL_DIR}/node_modules/.bin/protoc-gen-ts_proto"
# ts-proto options for CosmJS: every message gets encode/decode/fromPartial
# (a CosmJS GeneratedType), each service a <Service>ClientImpl over an
# Rpc { request(service, method, data): Promise<Uint8Array> }, which is what
# @cosmjs/stargate's createProtobufRpcClient returns; 64-bit integers are
# bigint, Timestamps stay Timestamp messages.
TS_PROTO_OPTS="esModuleInterop=true,forceLong=bigint,outputServices=default,useExactTypes=false,outputClientImpl=true,useDate=false,snakeToCamel=true"

die() {
	echo "protocgen: $*" >&2
	exit 1
}

ensure_protoc() {
	if command -v protoc >/dev/null 2>&1; then
		return
	fi
	echo "protocgen: protoc not found, installing protobuf-compiler with apt-get" >&2
	command -v apt-get >/dev/null 2>&1 ||
		die "protoc is missing and apt-get is unavailable; install protoc (protobuf-compiler 3.21) by hand"
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 ||
			die "protoc is missing and installing it needs root; run: sudo apt-get install -y protobuf-compiler"
		sudo=(sudo)
	fi
	export DEBIAN_FRONTEND=noninteractive
	# A fresh CI image often has empty package lists; install directly only if
	# that fails, so a machine with current lists does not need the network.
	if ! "${sudo[@]}" apt-get install -y -q protobuf-compiler; then
		"${sudo[@]}" apt-get update -q
		"${sudo[@]}" apt-get install -y -q protobuf-compiler
	fi
	command -v protoc >/dev/null 2>&1 || die "protobuf-compiler installed but protoc is still not on PATH"
}

build_plugins() {
	mkdir -p "${TOOLS_BIN}"
	# `go install tool` builds every tool directive of tools/go.mod at the
	# version pinned there.
	(cd "${ROOT}/tools" && GOBIN="${TOOLS_BIN}" go install tool) ||
		die "building protoc plugins from tools/go.mod failed"
	local plugin
	for plugin in protoc-gen-gocosmos protoc-gen-grpc-gateway; do
		[ -x "${TOOLS_BIN}/${plugin}" ] || die "${plugin} was not built into ${TOOLS_BIN}"
	done
}

# module_dir prints the module-cache directory of a dependency at the version
# go.mod pins, downloading it through the Go module proxy if it is missing.
module_dir() {
	local mod="$1" dir
	dir="$(cd "${ROOT}" && go list -m -f '{{.Dir}}' "${mod}")" ||
		die "go list -m ${mod} failed; is ${mod} required in go.mod?"
	if [ -z "${dir}" ]; then
		(cd "${ROOT}" && go mod download "${mod}") || die "go mod download ${mod} failed"
		dir="$(cd "${ROOT}" && go list -m -f '{{.Dir}}' "${mod}")"
	fi
	[ -d "${dir}" ] || die "module ${mod} has no directory in the module cache"
	echo "${dir}"
}

# ensure_portal_deps installs portal/web/node_modules from package-lock.json
# (npm ci) when it is missing or older than the lockfile.
ensure_portal_deps() {
	local need="Node 20 + npm are needed for the TypeScript client in ${PORTAL_DIR}"
	command -v npm >/dev/null 2>&1 ||
		die "npm not found: ${need} (e.g. apt-get install -y nodejs npm), then run 'make portal-deps'"
	command -v node >/dev/null 2>&1 ||
		die "node not found: ${need} (e.g. apt-get install -y nodejs npm)"
	local major
	major="$(node -p 'process.versions.node.split(".")[0]')" ||
		die "running node failed: ${need}"
	[ "${major}" -ge 20 ] ||
		die "node $(node --version) is too old: ${need}"
	local stamp="${PORTAL_DIR}/node_modules/.package-lock.json"
	if [ ! -f "${stamp}" ] || [ "${PORTAL_DIR}/package-lock.json" -nt "${stamp}" ]; then
		echo "protocgen: installing ${PORTAL_DIR}/node_modules (npm ci)"
		(cd "${PORTAL_DIR}" && npm ci --no-audit --no-fund) ||
			die "npm ci in ${PORTAL_DIR} failed"
	fi
	[ -x "${TS_PLUGIN}" ] ||
		die "${TS_PLUGIN} is missing; is ts-proto in ${PORTAL_DIR}/package.json? run 'make portal-deps'"
}

ensure_protoc
build_plugins

SDK_DIR="$(module_dir github.com/cosmos/cosmos-sdk)"
GOGOPROTO_DIR="$(module_dir github.com/cosmos/gogoproto)"
COSMOS_PROTO_DIR="$(module_dir github.com/cosmos/cosmos-proto)"
GATEWAY_DIR="$(module_dir github.com/grpc-ecosystem/grpc-gateway)"

# proto/ comes first so that files register under the same names they are
# imported by (medchain/issuers/v1/params.proto, not a longer path).
# Paths are relative to the repository root, where protoc runs, so that the
# file arguments (proto/...) lie under the first include path.
INCLUDES=(
	-I proto
	-I "${SDK_DIR}/proto"
	-I "${GOGOPROTO_DIR}"
	-I "${GOGOPROTO_DIR}/protobuf"
	-I "${COSMOS_PROTO_DIR}/proto"
	-I "${GATEWAY_DIR}/third_party/googleapis"
)

OUT="$(mktemp -d)"
trap 'rm -rf "${OUT}"' EXIT

cd "${ROOT}"
mapfile -t PROTO_DIRS < <(find proto -type f -name '*.proto' -exec dirname {} \; | LC_ALL=C sort -u)
[ "${#PROTO_DIRS[@]}" -gt 0 ] || die "no .proto files under proto/"

for dir in "${PROTO_DIRS[@]}"; do
	mapfile -t files < <(find "${dir}" -maxdepth 1 -type f -name '*.proto' | LC_ALL=C sort)
	echo "protocgen: ${dir}"
	protoc "${INCLUDES[@]}" \
		--plugin="protoc-gen-gocosmos=${TOOLS_BIN}/protoc-gen-gocosmos" \
		--plugin="protoc-gen-grpc-gateway=${TOOLS_BIN}/protoc-gen-grpc-gateway" \
		--gocosmos_out="plugins=grpc,Mgoogle/protobuf/any.proto=github.com/cosmos/gogoproto/types/any:${OUT}" \
		--grpc-gateway_out="logtostderr=true,allow_colon_final_segments=true:${OUT}" \
		"${files[@]}"
done

GENERATED="${OUT}/${MODULE_PATH}"
[ -d "${GENERATED}" ] ||
	die "protoc produced nothing under ${MODULE_PATH}; check the go_package options in proto/"
if find "${OUT}" -type f -name '*.go' -not -path "${GENERATED}/*" | grep -q .; then
	find "${OUT}" -type f -name '*.go' -not -path "${GENERATED}/*" >&2
	die "the files above have a go_package outside ${MODULE_PATH}"
fi

# Generation succeeded: drop previously generated files under x/ so that code
# of a deleted or renamed .proto does not linger, then move the new files in.
if [ -d x ]; then
	find x -type f \( -name '*.pb.go' -o -name '*.pb.gw.go' \) -print0 |
		while IFS= read -r -d '' f; do
			if head -n 1 "${f}" | grep -q '^// Code generated by protoc-gen-'; then
				rm -f "${f}"
			fi
		done
fi

(cd "${GENERATED}" && find . -type f -name '*.go' | LC_ALL=C sort) | while IFS= read -r rel; do
	mkdir -p "$(dirname "${ROOT}/${rel}")"
	mv -f "${GENERATED}/${rel}" "${ROOT}/${rel}"
	echo "protocgen: wrote ${rel#./}"
done

# The TypeScript client: one protoc run over every proto/medchain file, so
# that each file, and each third-party file one of them imports
# (cosmos/base/query/v1beta1/pagination.proto, gogoproto, amino, cosmos/msg,
# google/protobuf, ...), is emitted once.
if [ -f "${PORTAL_DIR}/package.json" ]; then
	ensure_portal_deps

	mapfile -t TS_FILES < <(find proto/medchain -type f -name '*.proto' | LC_ALL=C sort)
	[ "${#TS_FILES[@]}" -gt 0 ] || die "no .proto files under proto/medchain"
	TS_OUT="${OUT}/ts"
	mkdir -p "${TS_OUT}"
	echo "protocgen: ${TS_GEN_DIR} (ts-proto)"
	protoc "${INCLUDES[@]}" \
		--plugin="protoc-gen-ts_proto=${TS_PLUGIN}" \
		--ts_proto_opt="${TS_PROTO_OPTS}" \
		--ts_proto_out="${TS_OUT}" \
		"${TS_FILES[@]}"
	[ -f "${TS_OUT}/medchain/records/v1/tx.ts" ] ||
		die "ts-proto produced no medchain/records/v1/tx.ts"

	# Generation succeeded: replace the whole generated tree, so that the
	# client of a deleted or renamed .proto does not linger.
	rm -rf "${TS_GEN_DIR}"
	mkdir -p "${TS_GEN_DIR}"
	cp -R "${TS_OUT}/." "${TS_GEN_DIR}/"
	echo "protocgen: wrote $(find "${TS_GEN_DIR}" -type f -name '*.ts' | wc -l) files under ${TS_GEN_DIR}"
fi
