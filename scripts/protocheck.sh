#!/usr/bin/env bash
# Fails when the committed generated code (Go under x/, the TypeScript client
# under portal/web/src/gen) does not match what scripts/protocgen.sh produces
# from proto/. Meant for CI on a fresh clone, where the working tree equals
# HEAD before regeneration.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"

git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
	{ echo "protocheck: ${ROOT} is not a git work tree" >&2; exit 1; }

# Only generated files are compared, so that unrelated uncommitted work under
# x/ on a developer machine does not make the check fail. portal/web/src/gen
# holds nothing but generated files.
GENERATED_PATHS=(':(glob)x/**/*.pb.go' ':(glob)x/**/*.pb.gw.go' ':(glob)portal/web/src/gen/**')

bash scripts/protocgen.sh

# --porcelain lists modified, deleted and untracked files; untracked-files=all
# names each new file rather than its directory.
changes="$(git status --porcelain --untracked-files=all -- "${GENERATED_PATHS[@]}")"
if [ -n "${changes}" ]; then
	{
		echo
		echo "protocheck: generated code is out of date with proto/. Files that differ after regeneration:"
		echo "${changes}" | sed 's/^/  /'
		echo
		git --no-pager diff --stat -- "${GENERATED_PATHS[@]}" || true
		echo
		echo "Run 'bash scripts/protocgen.sh' and commit the result."
	} >&2
	exit 1
fi
echo "protocheck: generated code matches proto/"
