"""DuckDB's plain conversion of the same native files to Parquet, for the ingest table.

Called by crates/engine/benches/queries (see bench/README.md) so that DuckDB's conversion sits
beside Renkei's ingest in one run. Prints one JSON line:

    {"runs_s": [...], "median_s": x|null, "tables": n, "rows": r, "parquet_bytes": b,
     "prepare_s": p|null, "peak_rss_kib": k}

With `--runs 0` it only prepares (below); the bench does that in a process of its own first,
so that the peak memory of the timed runs is the conversion's.

DuckDB is given its fastest path for the same bytes, and what it cannot do is done for it
beforehand, untimed (`prepare_s` says how long that took when it had to be done; the prepared
copy is reused while its marker file is there):

- Every native file is Shift_JIS (cp932). DuckDB reads only UTF-8, UTF-16 and Latin-1 without
  its `encodings` extension, which is fetched from DuckDB's own extension site (not reachable
  here) and on PyPI only for DuckDB up to 1.5.5; so each file is converted to UTF-8 first.
- The NDB claim files (.UKE) and the 介護 claim files hold several record types, each with its
  own columns, in one file; DuckDB's CSV reader wants one layout per file, so each file is
  split by record type (the UKE record type is the first field, the 介護 record type the
  second). The thousands of per-facility, per-month files of a table are concatenated into one
  file, which DuckDB reads in parallel (many small files it reads one after the other).

The timed part is then one `COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT parquet,
COMPRESSION zstd)` per table (a record type of a source, or a master file), every column as text,
no pseudonymization, no validation, no linkage: what an analyst's copy costs.
"""

import argparse
import json
import resource
import shutil
import statistics
import time
from collections import defaultdict
from pathlib import Path

import duckdb

MARKER = "PREPARED_FOR_DUCKDB.txt"
WIDTHS = "widths.json"


def prepare(native: Path, prepared: Path) -> None:
    """One UTF-8 file per table (a record type of a source, or a master)."""
    if prepared.exists():
        shutil.rmtree(prepared)
    prepared.mkdir(parents=True)
    outputs = {}
    # The most fields a line of each table has: records differ in how many trailing optional
    # fields they carry, and the reader would take its column count from its sample.
    widths: dict[str, int] = defaultdict(int)

    def write(table: str, lines: list[str]) -> None:
        if table not in outputs:
            outputs[table] = open(prepared / f"{table}.csv", "w", encoding="utf-8")
        elif table.startswith("masters_"):
            raise ValueError(f"two files for {table}")
        outputs[table].write("".join(lines))
        if not lines[-1].endswith("\n"):  # a truncated file: its last line ends here
            outputs[table].write("\n")
        delim = "\t" if table.startswith("dpc_") else ","
        widths[table] = max(widths[table], max(line.count(delim) + 1 for line in lines))

    skipped = 0
    for path in sorted(native.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(native)
        source = relative.parts[0]
        if source not in ("masters", "dpc", "ndb", "kaigo"):
            continue  # truth/ is the generator's answer key, not input; ingest does not read it
        try:
            lines = path.read_text(encoding="utf-8" if source == "masters" else "cp932").splitlines(True)
        except UnicodeDecodeError:
            # A file spoilt on purpose (synth's defects); Renkei's ingest rejects it too.
            skipped += 1
            continue
        if not lines:
            continue  # an empty file (also spoilt on purpose)
        if source == "masters":
            write(f"masters_{path.stem}", lines)
        elif source == "dpc":
            kind = path.name.split("_")[0].lower()  # EF or FF1
            write(f"dpc_{kind}", lines)
        elif source == "ndb" or relative.parts[1] == "claims":
            field = 0 if source == "ndb" else 1
            by_type = defaultdict(list)
            for line in lines:
                by_type[line.split(",", field + 1)[field]].append(line)
            prefix = "ndb" if source == "ndb" else "kaigo_claims"
            for record_type, typed in by_type.items():
                write(f"{prefix}_{record_type}", typed)
        else:
            write(f"kaigo_{relative.parts[1]}", lines)
    for output in outputs.values():
        output.close()
    (prepared / WIDTHS).write_text(json.dumps(widths))
    (prepared / MARKER).write_text(
        f"UTF-8, one file per table, from {native}; {skipped} files skipped as not Shift_JIS\n")


def convert(prepared: Path, out: Path) -> tuple[int, int]:
    """Every prepared table to one Parquet file under `out`: (tables, rows)."""
    con = duckdb.connect(":memory:")
    # DataFusion and Renkei's ingest use both cores of the benchmark machine; so does DuckDB.
    con.execute("SET threads=2")
    widths = json.loads((prepared / WIDTHS).read_text())
    tables = rows = 0
    for table in sorted(widths):
        header = table.startswith("masters_")
        delim = "\\t" if table.startswith("dpc_") else ","
        source = str(prepared / f"{table}.csv").replace("'", "''")
        # Masters name their columns in a header line; the rest get as many text columns as
        # their widest line.
        # (auto_detect off: the sniffer would still take its column count from one file).
        columns = "" if header else ", auto_detect=false, columns={" + ", ".join(
            f"'c{i:02}': 'VARCHAR'" for i in range(widths[table])) + "}"
        target = str(out / f"{table}.parquet").replace("'", "''")
        # null_padding: a record may leave its trailing optional fields off. all_varchar: type
        # detection sniffs a sample of files and then fails on another file of the same table
        # (a code column all digits in one month, not in the next); text needs no casts, which
        # only makes DuckDB's side cheaper.
        count = con.execute(
            f"COPY (SELECT * FROM read_csv('{source}', header={header}, delim='{delim}', "
            f"quote='', escape='', null_padding=true, all_varchar=true{columns})) "
            f"TO '{target}' (FORMAT parquet, COMPRESSION zstd)"
        ).fetchone()[0]
        tables += 1
        rows += count
    return tables, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--native", required=True, type=Path, help="renkei synth's output")
    parser.add_argument("--prepared", required=True, type=Path, help="where the UTF-8 copy goes")
    parser.add_argument("--out", required=True, type=Path, help="an empty folder for the Parquet")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()

    prepare_s = None
    if not (args.prepared / MARKER).exists():
        start = time.perf_counter()
        prepare(args.native, args.prepared)
        prepare_s = time.perf_counter() - start

    runs, tables, rows = [], 0, 0
    for _ in range(args.runs):
        if args.out.exists():
            shutil.rmtree(args.out)
        args.out.mkdir(parents=True)
        start = time.perf_counter()
        tables, rows = convert(args.prepared, args.out)
        runs.append(time.perf_counter() - start)
    parquet_bytes = sum(p.stat().st_size for p in args.out.glob("*.parquet")) if runs else 0
    print(json.dumps({
        "runs_s": runs, "median_s": statistics.median(runs) if runs else None, "tables": tables,
        "rows": rows, "parquet_bytes": parquet_bytes, "prepare_s": prepare_s,
        # Linux reports ru_maxrss in KiB.
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }), flush=True)


if __name__ == "__main__":
    main()
