"""Runs every study query of queries/ with DuckDB on the warehouse's Parquet files.

Called by crates/engine/benches/queries (see bench/README.md) so that DuckDB sits beside
Renkei and plain DataFusion in one run. Prints one JSON line per query:

    {"query": name, "first_s": w, "median_s": x, "min_s": y, "max_s": z, "rows": n,
     "result": path|null, "peak_rss_kib": k, "error": null|"..."}

`first_s` is the first (warm-up) run; the median, min and max are over the `--runs` runs after
it (null with --runs 0). With `--results DIR` each result is also written to DIR/<query>.parquet
(not timed) for the bench to compare with plain DataFusion's. `peak_rss_kib` is this process's
peak resident memory so far (Python's own included): with `--only` one query, it is that
query's.

The queries are run as written: a query that uses syntax DuckDB rejects is reported with its
error rather than rewritten, so the comparison is always on the same SQL.
"""

import argparse
import json
import resource
import statistics
import time
from pathlib import Path

import duckdb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", required=True, type=Path)
    parser.add_argument("--queries", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--results", type=Path)
    parser.add_argument("--only", help="run only this query (its file name without .sql)")
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
        if args.only and query.stem != args.only:
            continue
        sql = query.read_text()
        result = {"query": query.stem, "first_s": None, "median_s": None, "min_s": None,
                  "max_s": None, "rows": None, "result": None, "peak_rss_kib": None,
                  "error": None}
        try:
            times = []
            for run in range(args.runs + 1):  # run 0 is the warm-up, not in the median
                start = time.perf_counter()
                rows = con.execute(sql).fetchall()
                elapsed = time.perf_counter() - start
                if run == 0:
                    result["first_s"] = elapsed
                else:
                    times.append(elapsed)
            result["rows"] = len(rows)
            if times:
                result.update(median_s=statistics.median(times), min_s=min(times), max_s=max(times))
            if args.results:
                # COPY keeps the query's row order (DuckDB preserves insertion order).
                out = args.results / f"{query.stem}.parquet"
                body = sql.strip().rstrip(";")
                target = str(out).replace("'", "''")
                con.execute(f"COPY (\n{body}\n) TO '{target}' (FORMAT parquet)")
                result["result"] = str(out)
        except duckdb.Error as e:
            result["error"] = str(e).splitlines()[0] if str(e) else type(e).__name__
        # Linux reports ru_maxrss in KiB.
        result["peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
