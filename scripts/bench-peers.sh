#!/usr/bin/env bash
# Appends side by side: `salesledger bench store` (sled and PostgreSQL) and
# the cqrs-es 0.5 peer harness (sqlite-es, postgres-es), back to back in one
# run, then the ratios the performance targets are stated in.
#
#   scripts/bench-peers.sh --peers DIR [--events N] [--pg-url URL] [--peer-pg-url URL]
#
# DIR is a checkout of the cqrs-bench peer harness (a standalone Cargo
# project; it is built, never copied, with its target directory under
# $PEER_TARGET, default /tmp/cqrs-bench-target, so DIR may be read-only).
# Measure on a quiet machine: the script prints the load average before and
# after, and docs/PERFORMANCE.md records both.
set -euo pipefail
cd "$(dirname "$0")/.."

peers=""
events=20000
pg_url="${SALESLEDGER_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
# The peer drops and recreates `events` and `snapshots` in its database's
# public schema: give it a database of its own.
peer_pg_url="postgres://postgres@127.0.0.1:5432/postgres"
while [ $# -gt 0 ]; do
  case "$1" in
    --peers) peers="$2"; shift 2 ;;
    --events) events="$2"; shift 2 ;;
    --pg-url) pg_url="$2"; shift 2 ;;
    --peer-pg-url) peer_pg_url="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [ -z "$peers" ] || [ ! -f "$peers/Cargo.toml" ]; then
  echo "usage: scripts/bench-peers.sh --peers DIR [--events N] [--pg-url URL]" >&2
  echo "  DIR: the cqrs-bench peer harness (a Cargo project)" >&2
  exit 2
fi

peer_target="${PEER_TARGET:-/tmp/cqrs-bench-target}"
echo "# building salesledger (release) and the peer harness"
cargo build --release --locked --quiet -p salesledger
(cd "$peers" && CARGO_TARGET_DIR="$peer_target" cargo build --release --locked --quiet)
ours=target/release/salesledger
peer="$peer_target/release/cqrs-bench"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "# salesledger sled"
"$ours" bench store --data "$work/sled" --events "$events" | tee "$work/ours-sled.txt"
echo "# cqrs-es + sqlite-es"
mkdir -p "$work/peer-sqlite"
"$peer" sqlite --db "$work/peer-sqlite/bench.db" --events "$events" --concurrency 1,64 | tee "$work/peer-sqlite.txt"
echo "# salesledger PostgreSQL"
"$ours" bench store --store "$pg_url" --events "$events" | tee "$work/ours-pg.txt"
echo "# cqrs-es + postgres-es"
PG_URL="$peer_pg_url" CARGO_TARGET_DIR="$peer_target" "$peers/run-postgres.sh" --events "$events" --concurrency 1,64 | tee "$work/peer-pg.txt"

echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

figure() { # file name
  grep -o "$2=[0-9.]*" "$1" | tail -n 1 | cut -d= -f2
}
ratio() { # a b
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}
sled_1=$(figure "$work/ours-sled.txt" append_1)
sled_64=$(figure "$work/ours-sled.txt" append_64)
wal_64=$(figure "$work/ours-sled.txt" raw_wal_64)
pg_1=$(figure "$work/ours-pg.txt" append_1)
pg_64=$(figure "$work/ours-pg.txt" append_64)
sqlite_1=$(figure "$work/peer-sqlite.txt" append_c1)
sqlite_64=$(figure "$work/peer-sqlite.txt" append_c64)
pgpeer_1=$(figure "$work/peer-pg.txt" append_c1)
pgpeer_64=$(figure "$work/peer-pg.txt" append_c64)

echo "events=$events"
echo "sled_append_1=$sled_1 sqlite_es_c1=$sqlite_1 ratio=$(ratio "$sled_1" "$sqlite_1")"
echo "sled_append_64=$sled_64 sqlite_es_c64=$sqlite_64 ratio=$(ratio "$sled_64" "$sqlite_64")"
echo "sled_ratio_wal_64=$(ratio "$sled_64" "$wal_64")"
echo "pg_append_1=$pg_1 postgres_es_c1=$pgpeer_1 ratio=$(ratio "$pg_1" "$pgpeer_1")"
echo "pg_append_64=$pg_64 postgres_es_c64=$pgpeer_64 ratio=$(ratio "$pg_64" "$pgpeer_64")"
