#!/usr/bin/env bash
# Runs schemathesis against a demo gateway, once per role (supervisor,
# integrator, auditor), and exits non-zero on any failure: the OpenAPI
# document at /openapi.json must describe what the server answers.
#
#   tests/schemathesis/run.sh                 # builds the debug binary
#   SALESLEDGER_BIN=target/release/salesledger tests/schemathesis/run.sh
#
# Environment (all optional):
#   SALESLEDGER_BIN        the binary to serve (default: cargo build, then
#                          target/debug/salesledger)
#   SCHEMATHESIS_EXAMPLES  test cases per operation and phase (default 8)
#   SCHEMATHESIS_SEED      the seed (default 13)
#   SCHEMATHESIS_ROLES     the roles to run (default "supervisor integrator auditor")
#   SCHEMATHESIS_REPORT    where the JUnit reports go (default
#                          target/schemathesis)
#
# Needs the Python package schemathesis at the version pinned in
# requirements.txt beside this script
# (`pip install -r tests/schemathesis/requirements.txt`), and curl.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."

examples="${SCHEMATHESIS_EXAMPLES:-8}"
seed="${SCHEMATHESIS_SEED:-13}"
roles="${SCHEMATHESIS_ROLES:-supervisor integrator auditor}"
report="${SCHEMATHESIS_REPORT:-target/schemathesis}"
checks="${SCHEMATHESIS_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance}"

if [ -z "${SALESLEDGER_BIN:-}" ]; then
  cargo build --quiet --locked --bin salesledger
  SALESLEDGER_BIN=target/debug/salesledger
fi
# The pinned version only: another one may generate other cases.
pinned="$(sed -n 's/^schemathesis==//p' "$here/requirements.txt")"
installed="$(python3 -c "import importlib.metadata as m; print(m.version('schemathesis'))" 2>/dev/null || true)"
if [ "$installed" != "$pinned" ]; then
  echo "schemathesis $pinned is needed (found: ${installed:-none}): pip install -r tests/schemathesis/requirements.txt" >&2
  exit 1
fi

work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A free loopback port: the gateway binds port 0 and prints its address
# (in English whatever the locale: the lines below are parsed).
SALESLEDGER_LOG=warn "$SALESLEDGER_BIN" --lang en serve --demo --demo-scale small \
  --data "$work/data" --listen 127.0.0.1:0 --day-close-every-secs 0 \
  >"$work/stdout" 2>"$work/stderr" &
server=$!

base=""
for _ in $(seq 1 240); do
  base="$(sed -n 's/^salesledger gateway listening on \([^ ]*\).*/\1/p' "$work/stdout")"
  [ -n "$base" ] && break
  if ! kill -0 "$server" 2>/dev/null; then break; fi
  sleep 0.5
done
if [ -z "$base" ]; then
  echo "serve --demo did not start:" >&2
  tail -n 40 "$work/stderr" >&2
  exit 1
fi
for _ in $(seq 1 240); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "$base/readyz" >/dev/null || { echo "serve --demo not ready" >&2; exit 1; }
echo "serving at $base (data $work/data)"

token_of() {
  awk -v role="$1" '$1 == role && $2 ~ /^sl_/ && NF == 2 { print $2; exit }' "$work/stdout"
}

mkdir -p "$report"
report="$(cd "$report" && pwd)"
status=0
for role in $roles; do
  token="$(token_of "$role")"
  if [ -z "$token" ]; then
    echo "serve --demo printed no $role token" >&2
    exit 1
  fi
  echo "== schemathesis as $role"
  started=$(date +%s)
  # (run from the temporary directory: schemathesis keeps a cache in
  # .schemathesis/ of its working directory)
  if ! (cd "$work" && SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" \
    python3 -m schemathesis.cli --config-file "$here/schemathesis.toml" run "$base/openapi.json" \
      --url "$base" \
      --header "Authorization: Bearer $token" \
      --checks "$checks" \
      --max-examples "$examples" \
      --seed "$seed" \
      --workers 1 \
      --no-shrink \
      --suppress-health-check all \
      --request-timeout 5 \
      --report junit --report-junit-path "$report/$role.xml"); then
    status=1
  fi
  echo "== $role: $(( $(date +%s) - started )) s"
done
if ! kill -0 "$server" 2>/dev/null; then
  echo "the gateway died during the run:" >&2
  tail -n 40 "$work/stderr" >&2
  status=1
fi
exit "$status"
