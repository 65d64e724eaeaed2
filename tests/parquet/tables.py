"""Reads a `salesledger rebuild --format parquet` directory with DuckDB and
prints what the Rust test (tests/cli_parquet_tables.rs) compares: each
file's row count beside tables.json's, and three figures of the views
computed by SQL from the table rows, beside the same figures read from the
JSON views of a `rebuild --format json` of the same log:

- assets (SPEC C9): every rep's process-asset rate per month, in basis
  points: (solutions + objection answers + won-deal actions) x 10000 /
  distinct customers followed up that month, truncated;
- receivables (SPEC C10): every region's aging buckets as of the last
  closed day: each instalment's amount less what payments received by that
  day allocated to it, by days past due, the customer's region (else its
  owner's, else `unassigned`);
- retail_stores (SPEC C13): the latest promotion's penetration by store
  and day: tickets of the store-day, tickets with the promoted SKU, and
  the share in basis points.

Usage: tables.py PARQUET_DIR JSON_DIR. Exit status 3 when the duckdb package
is missing (the test then fails or skips, see SALESLEDGER_REQUIRE_DUCKDB)."""

import json
import os
import sys

try:
    import duckdb
except ImportError:
    print("the Python duckdb package is not installed", file=sys.stderr)
    sys.exit(3)

parquet_dir, json_dir = sys.argv[1], sys.argv[2]
con = duckdb.connect()
manifest = json.load(open(os.path.join(parquet_dir, "tables.json")))

counts = []
for table in manifest["tables"]:
    if table["file"] is None:
        counts.append([f"{table['projector']}.{table['table']}", 0, table["rows"]])
        continue
    path = os.path.join(parquet_dir, table["file"])
    n = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
    assert [row[0] for row in described] == [c["name"] for c in table["columns"]], path
    counts.append([table["file"], n, table["rows"]])
    # every file as a view named after it, e.g. "assets.months"
    con.execute(
        f"CREATE VIEW \"{table['projector']}.{table['table']}\" AS "
        f"SELECT * FROM read_parquet('{path}')"
    )


def view(name):
    return json.load(open(os.path.join(json_dir, f"{name}.json")))["data"]


# C9: a rep's process-asset rate for a month.
assets_sql = con.execute(
    """
    WITH months AS (
        SELECT "key.0" AS rep_id, "key.1" AS month,
               solutions + objection_answers + won_deal_actions AS assets
        FROM "assets.months"),
    followed AS (
        SELECT "key.0" AS rep_id, "key.1" AS month, count(DISTINCT "key.2") AS customers
        FROM "assets.followed" GROUP BY ALL)
    SELECT m.rep_id, m.month, m.assets,
           CASE WHEN coalesce(f.customers, 0) = 0 THEN NULL
                ELSE (m.assets * 10000) // f.customers END AS rate_bp
    FROM months m LEFT JOIN followed f USING (rep_id, month)
    ORDER BY m.rep_id, m.month
    """
).fetchall()
assets_view = sorted(
    (row["rep_id"], row["period"], row["assets"], row["rate_bp"])
    for row in view("assets")
    if row["period"] != "total"
)

# C10: a region's receivables aging.
receivables = view("receivables")["summary"]
as_of = receivables["as_of"]
aging_sql = []
if as_of is not None:
    aging_sql = con.execute(
        """
        WITH as_of AS (SELECT CAST(value AS DATE) AS day FROM "receivables.last_closed"),
        paid AS (
            SELECT p."key.0" AS contract, a.alloc.index AS idx, sum(a.alloc.amount_fen) AS paid
            FROM "receivables.payments" p,
                 LATERAL (SELECT unnest(from_json(p.allocations,
                     '[{"index":"UBIGINT","amount_fen":"UBIGINT"}]')) AS alloc) a,
                 as_of
            WHERE CAST(p.received_on AS DATE) <= as_of.day
            GROUP BY ALL),
        open AS (
            SELECT c.customer_id, i."key.0" AS contract,
                   i.amount_fen - least(coalesce(paid.paid, 0), i.amount_fen) AS open_fen,
                   as_of.day - CAST(i.due_on AS DATE) AS days_past_due
            FROM "receivables.instalments" i
            JOIN "receivables.contracts" c ON c.key = i."key.0"
            LEFT JOIN paid ON paid.contract = i."key.0" AND paid.idx = i."key.1",
                 as_of
            WHERE CAST(c.signed_on AS DATE) <= as_of.day),
        regions AS (
            SELECT open.*, coalesce(dc.region, dr.region, 'unassigned') AS region
            FROM open
            LEFT JOIN "directory.dir-customers" dc ON dc.key = open.customer_id
            LEFT JOIN "directory.dir-reps" dr ON dr.key = dc.owner)
        SELECT region,
               sum(CASE WHEN days_past_due <= 0 THEN open_fen ELSE 0 END),
               sum(CASE WHEN days_past_due BETWEEN 1 AND 30 THEN open_fen ELSE 0 END),
               sum(CASE WHEN days_past_due BETWEEN 31 AND 60 THEN open_fen ELSE 0 END),
               sum(CASE WHEN days_past_due BETWEEN 61 AND 90 THEN open_fen ELSE 0 END),
               sum(CASE WHEN days_past_due > 90 THEN open_fen ELSE 0 END)
        FROM regions WHERE open_fen > 0 GROUP BY region ORDER BY region
        """
    ).fetchall()
aging_view = sorted(
    (
        region["region"],
        region["aging"]["current"],
        region["aging"]["1_30"],
        region["aging"]["31_60"],
        region["aging"]["61_90"],
        region["aging"]["over_90"],
    )
    for region in receivables["regions"]
    if any(region["aging"].values())
)

# C13: a promotion's penetration by store-day.
penetration = view("retail_stores")["penetration"]
penetration_sql, penetration_view = [], []
if penetration is not None:
    promotion = penetration["promotion"]["promotion_id"]
    regions = [region["region"] for region in penetration["regions"]]
    penetration_sql = con.execute(
        """
        WITH promotion AS (SELECT sku FROM "retail_stores.rs_promotions" WHERE key = $promotion),
        days AS (SELECT CAST(unnest(range(CAST($from AS DATE), CAST($to AS DATE) + 1,
                                           INTERVAL 1 DAY)) AS DATE) AS day),
        stores AS (SELECT "key.1" AS store FROM "retail_stores.rs_region_stores"
                   WHERE list_contains($regions, "key.0"))
        SELECT s.store, CAST(d.day AS VARCHAR),
               coalesce(sd.tickets, 0) AS tickets,
               CASE WHEN sd.tickets IS NULL THEN 0 ELSE coalesce(td.value, 0) END AS with_product,
               CASE WHEN coalesce(sd.tickets, 0) = 0 THEN NULL
                    ELSE (coalesce(td.value, 0) * 10000) // sd.tickets END AS share_bp
        FROM stores s CROSS JOIN days d
        LEFT JOIN "retail_stores.rs_store_days" sd
               ON sd."key.0" = s.store AND CAST(sd."key.1" AS DATE) = d.day
        LEFT JOIN "retail_stores.rs_tracked_days" td
               ON td."key.0" = (SELECT sku FROM promotion)
              AND td."key.1" = s.store AND CAST(td."key.2" AS DATE) = d.day
        ORDER BY 1, 2
        """,
        {
            "promotion": promotion,
            "from": penetration["from"],
            "to": penetration["to"],
            "regions": regions,
        },
    ).fetchall()
    penetration_view = sorted(
        (store["store"], cell["day"], cell["tickets"], cell["with_product"], cell["share_bp"])
        for region in penetration["regions"]
        for store in region["stores"]
        for cell in store["cells"]
    )

print(
    json.dumps(
        {
            "counts": counts,
            "assets": {"sql": [list(row) for row in assets_sql], "view": [list(row) for row in assets_view]},
            "aging": {"as_of": as_of, "sql": [list(row) for row in aging_sql], "view": [list(row) for row in aging_view]},
            "penetration": {
                "sql": [list(row) for row in penetration_sql],
                "view": [list(row) for row in penetration_view],
            },
        },
        default=str,
    )
)
