"""An analyst's tool talking to Renkei's Flight SQL endpoint: the ADBC Flight SQL driver from
PyPI and pyarrow, nothing from the Rust code.

Modes (one JSON object on stdout; a failure exits non-zero with a message on stderr):

  analyst     runs every study query of --queries and compares each result with the CLI's
              checked Parquet output of the same query (--expected DIR/<name>.parquet and
              <name>.report.json); runs a prepared statement with a parameter; lists the
              catalog; tries statements that must be refused.
  one-query   tries one query over 介護DB and reports its error (a researcher's denial, a
              table outside the project's grant).
  load        --clients connections run the study queries in turn for --seconds.
  sequence    runs each --sql in order on one connection and gives each result's rows (as
              text) and its report's hidden cells.
"""

import argparse
import json
import pathlib
import sys
import threading
import time

import adbc_driver_flightsql.dbapi as flight_sql
import pyarrow
import pyarrow.parquet

REPORT_KEY = b"renkei.disclosure_report"

# What an analyst must not get: row-level output, a person singled out by a key literal,
# and statements that write files or define tables.
MUST_BE_REFUSED = {
    "row_level": "SELECT person_id, sex FROM kaigo_claims",
    "person_key_literal": "SELECT count(*) AS n FROM kaigo_claims WHERE person_id = '0123456789abcdef0123456789abcdef'",
    "copy": "COPY (SELECT * FROM kaigo_claims) TO '/tmp/renkei-flight-leak.csv'",
    "create_external_table": "CREATE EXTERNAL TABLE leak STORED AS CSV LOCATION '/tmp/renkei-flight-leak.csv'",
}

PREPARED = (
    "SELECT sex, count(DISTINCT person_id) AS persons FROM kaigo_certifications WHERE age >= $1 GROUP BY sex ORDER BY sex"
)


def fail(message):
    sys.exit(f"flight_sql_client.py: {message}")


def connect(uri, token, project):
    kwargs = {"adbc.flight.sql.authorization_header": f"Bearer {token}"}
    if project:
        kwargs["adbc.flight.sql.rpc.call_header.x-renkei-project"] = project
    return flight_sql.connect(uri, db_kwargs=kwargs, autocommit=True)


def run(conn, sql, parameters=None):
    with conn.cursor() as cur:
        cur.execute(sql, parameters)
        return cur.fetch_arrow_table()


def error_of(conn, sql):
    """The error text of a statement that must fail, or None when it ran."""
    try:
        run(conn, sql)
    except Exception as e:  # the driver's DB-API error classes
        return str(e)
    return None


def without_metadata(table):
    return table.replace_schema_metadata(None)


def compare(name, got, expected_dir):
    expected = pyarrow.parquet.read_table(expected_dir / f"{name}.parquet")
    expected = without_metadata(expected).cast(without_metadata(got).schema)
    report = json.loads(got.schema.metadata[REPORT_KEY])
    expected_report = json.loads((expected_dir / f"{name}.report.json").read_text())
    return {
        "rows": got.num_rows,
        "equal": without_metadata(got).equals(expected),
        "report_summary_equal": report["summary"] == expected_report["summary"],
        "hidden_cells": len(report["hidden"]),
        "null_cells": sum(column.null_count for column in got.columns),
    }


def analyst(args):
    conn = connect(args.uri, args.token, args.project)
    queries = sorted(pathlib.Path(args.queries).glob("*.sql"))
    results = {q.stem: compare(q.stem, run(conn, q.read_text()), pathlib.Path(args.expected)) for q in queries}
    prepared = run(conn, PREPARED, (65,))
    report = json.loads(prepared.schema.metadata[REPORT_KEY])
    objects = conn.adbc_get_objects(depth="tables").read_all().to_pylist()
    tables = sorted(
        t["table_name"]
        for catalog in objects
        for schema in catalog["catalog_db_schemas"] or []
        for t in schema["db_schema_tables"] or []
    )
    columns = [f.name for f in conn.adbc_get_table_schema("kaigo_claims")]
    refused = {name: error_of(conn, sql) for name, sql in MUST_BE_REFUSED.items()}
    conn.close()
    return {
        "queries": results,
        "prepared": {"rows": prepared.num_rows, "command": report["command"]},
        "tables": tables,
        "kaigo_claims_columns": columns,
        "refused": refused,
    }


def one_query(args):
    conn = connect(args.uri, args.token, args.project)
    error = error_of(conn, "SELECT sex, count(*) AS n FROM kaigo_claims GROUP BY sex")
    conn.close()
    return {"error": error}


def sequence(args):
    conn = connect(args.uri, args.token, args.project)
    out = []
    for sql in args.sql:
        table = run(conn, sql)
        report = json.loads(table.schema.metadata[REPORT_KEY])
        rows = [[None if v is None else str(v) for v in row.values()] for row in table.to_pylist()]
        out.append({"rows": rows, "hidden": report["hidden"]})
    conn.close()
    return {"results": out}


def load(args):
    sqls = [q.read_text() for q in sorted(pathlib.Path(args.queries).glob("*.sql"))]
    deadline = time.monotonic() + args.seconds
    totals = {"queries": 0, "errors": 0, "bytes": 0, "first_error": None}
    lock = threading.Lock()

    def client(index):
        conn = connect(args.uri, args.token, args.project)
        i = index
        while time.monotonic() < deadline:
            try:
                table = run(conn, sqls[i % len(sqls)])
                with lock:
                    totals["queries"] += 1
                    totals["bytes"] += table.nbytes
            except Exception as e:
                with lock:
                    totals["errors"] += 1
                    totals["first_error"] = totals["first_error"] or str(e)
            i += 1
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    totals["seconds"] = elapsed
    totals["queries_per_second"] = totals["queries"] / elapsed
    totals["bytes_per_second"] = totals["bytes"] / elapsed
    return totals


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["analyst", "one-query", "load", "sequence"])
    p.add_argument("--uri", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--project")
    p.add_argument("--queries")
    p.add_argument("--expected")
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--sql", action="append", default=[])
    args = p.parse_args()
    out = {"analyst": analyst, "one-query": one_query, "load": load, "sequence": sequence}[args.mode](args)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
