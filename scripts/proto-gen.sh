#!/usr/bin/env bash
# Generates libs/proto/src/gen from libs/proto/proto with Debian's protoc + ts-proto.
#   scripts/proto-gen.sh          regenerate in place
#   scripts/proto-gen.sh --check  regenerate into a temp dir and fail on any difference
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PROTO_DIR=libs/proto/proto
OUT=libs/proto/src/gen
command -v protoc >/dev/null || { echo "HVS-PROTO-NO-PROTOC: protoc not found; fix: apt-get install protobuf-compiler" >&2; exit 1; }
PLUGIN="$ROOT/node_modules/.bin/protoc-gen-ts_proto"
[ -x "$PLUGIN" ] || { echo "HVS-PROTO-NO-PLUGIN: $PLUGIN missing; fix: npm ci" >&2; exit 1; }

generate() { # $1 = output dir
  mkdir -p "$1"
  mapfile -t files < <(cd "$PROTO_DIR" && find . -name '*.proto' | sed 's#^\./##' | sort)
  protoc --plugin="$PLUGIN" -I "$PROTO_DIR" --ts_proto_out="$1" \
    --ts_proto_opt=outputServices=grpc-js,env=node,esModuleInterop=true,importSuffix=.js,useOptionals=messages,oneof=unions-value,forceLong=number,useDate=false,exportCommonSymbols=false,removeEnumPrefix=true \
    "${files[@]}"
}

if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  generate "$tmp"
  if ! diff -ru "$OUT" "$tmp" >"$tmp.diff" 2>&1; then
    cat "$tmp.diff" | head -50 >&2; rm -f "$tmp.diff"
    echo "HVS-PROTO-STALE: libs/proto/src/gen differs from what libs/proto/proto generates; fix: npm run proto:gen and commit the result" >&2
    exit 1
  fi
  rm -f "$tmp.diff"
  echo "proto:check: libs/proto/src/gen is up to date"
else
  rm -rf "$OUT"; generate "$OUT"
  echo "proto:gen: wrote $OUT"
fi
