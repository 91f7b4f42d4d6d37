"""Runs every study query of queries/ with DuckDB on the warehouse's Parquet files.

Called by crates/engine/benches/queries.rs (see bench/README.md) so that DuckDB sits beside
Renkei and plain DataFusion in one run. Prints one JSON line per query:

    {"query": name, "median_s": x, "min_s": y, "max_s": z, "rows": n, "error": null|"..."}

The queries are run as written: a query that uses syntax DuckDB rejects is reported with its
error rather than rewritten, so the comparison is always on the same SQL.
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import duckdb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", required=True, type=Path)
    parser.add_argument("--queries", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    con = duckdb.connect(":memory:")
    # DataFusion runs with 2 partitions on this machine; give DuckDB as many threads.
    con.execute("SET threads=2")
    # Steward-only and bookkeeping directories start with `_`; everything else with Parquet
    # files is a table the queries may read.
    for table in sorted(args.warehouse.iterdir()):
        if table.is_dir() and not table.name.startswith("_") and any(table.glob("*.parquet")):
            pattern = str(table / "*.parquet").replace("'", "''")
            con.execute(f"CREATE VIEW \"{table.name}\" AS SELECT * FROM read_parquet('{pattern}')")

    for query in sorted(args.queries.glob("*.sql")):
        sql = query.read_text()
        result = {"query": query.stem, "median_s": None, "min_s": None, "max_s": None,
                  "rows": None, "error": None}
        try:
            times = []
            for run in range(args.runs + 1):  # run 0 is the warm-up, not timed
                start = time.perf_counter()
                rows = con.execute(sql).fetchall()
                if run > 0:
                    times.append(time.perf_counter() - start)
            result.update(median_s=statistics.median(times), min_s=min(times),
                          max_s=max(times), rows=len(rows))
        except duckdb.Error as e:
            result["error"] = str(e).splitlines()[0] if str(e) else type(e).__name__
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
