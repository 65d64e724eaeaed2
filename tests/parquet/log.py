"""Reads a `salesledger export --format parquet` directory with DuckDB and
prints what the Rust test (tests/cli_parquet.rs) compares with the log:
the row count, each file's count, the column types and every row as text.

Exit status 3 when the duckdb package is missing (the test then fails or
skips, see SALESLEDGER_REQUIRE_DUCKDB)."""

import json
import sys

try:
    import duckdb
except ImportError:
    print("the Python duckdb package is not installed", file=sys.stderr)
    sys.exit(3)

directory = sys.argv[1]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
files = f"{directory}/*.parquet"
count = con.execute(f"SELECT count(*) FROM read_parquet('{files}')").fetchone()[0]
per_file = con.execute(
    f"SELECT filename, count(*) FROM read_parquet('{files}', filename = true) "
    "GROUP BY filename ORDER BY filename"
).fetchall()
types = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{files}')").fetchall()
rows = con.execute(
    f"""SELECT position, event_id::VARCHAR, stream_id, stream_version, event_type,
               schema_version, strftime(recorded_at, '%Y-%m-%dT%H:%M:%S.%fZ'), actor,
               command_id::VARCHAR, correlation_id::VARCHAR, causation_id::VARCHAR,
               payload::VARCHAR, hash, prev_hash,
               payload->>'policy_version'
        FROM read_parquet('{files}') ORDER BY position"""
).fetchall()
print(
    json.dumps(
        {
            "count": count,
            "files": [[name.rsplit("/", 1)[-1], n] for name, n in per_file],
            "types": {name: kind for name, kind, *_ in types},
            "rows": [list(row) for row in rows],
        }
    )
)
