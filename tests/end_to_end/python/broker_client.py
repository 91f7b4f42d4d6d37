"""A Renkei client in Python, built from the .proto files alone.

It proves the gRPC API needs nothing from the Rust code: the stubs are generated at run
time with grpcio-tools, and the result is read with pyarrow. As the researcher it submits
a named query, as the steward it reviews, approves and releases it, and as the researcher
again it fetches the released result. It prints one JSON object on stdout; any failure
exits non-zero with a message on stderr.
"""

import argparse
import io
import json
import sys

import grpc
import pyarrow.csv
import pyarrow.ipc
from grpc_tools import protoc

PROTOS = [f"renkei/v1/{name}.proto" for name in ("common", "research", "steward", "admin")]
TIMEOUT = 60  # seconds per call; the release re-runs the query


def fail(message):
    sys.exit(f"broker_client.py: {message}")


def generate_stubs(proto_dir, stubs_dir):
    # Only the .proto files are input: what a client in any language starts from.
    rc = protoc.main(
        ["grpc_tools.protoc", "-I", proto_dir, f"--python_out={stubs_dir}", f"--grpc_python_out={stubs_dir}"]
        + PROTOS
    )
    if rc != 0:
        fail(f"protoc failed ({rc}) on {PROTOS} under {proto_dir}")
    # The generated modules import each other as `renkei.v1.…` (namespace packages).
    sys.path.insert(0, stubs_dir)


def bearer(token):
    return [("authorization", f"Bearer {token}")]


def expect_state(request, state, common_pb2, what):
    if request.state != state:
        name = common_pb2.RequestState.Name(request.state)
        fail(f"{what}: expected {common_pb2.RequestState.Name(state)}, got {name} {request}")


def fetch(research, research_pb2, request_id, token):
    """The FetchResult stream as (header, Arrow IPC stream bytes)."""
    parts = research.FetchResult(
        research_pb2.FetchResultRequest(id=request_id), metadata=bearer(token), timeout=TIMEOUT
    )
    header, ipc = None, bytearray()
    for message in parts:
        part = message.WhichOneof("part")
        if header is None:
            if part != "header":
                fail(f"the first message must be the header, got {part}")
            header = message.header
            ipc += header.arrow_schema
        elif part == "arrow_batch":
            ipc += message.arrow_batch
        else:
            fail(f"after the header only arrow_batch messages, got {part}")
    if header is None:
        fail("FetchResult sent no header")
    return header, bytes(ipc)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--addr", required=True, help="host:port of `renkei serve`")
    p.add_argument("--proto-dir", required=True, help="the repository's proto/ folder")
    p.add_argument("--stubs-dir", required=True, help="a writable folder for the generated stubs")
    p.add_argument("--researcher-token", required=True)
    p.add_argument("--steward-token", required=True)
    p.add_argument("--project", required=True)
    p.add_argument("--named-query", required=True)
    args = p.parse_args()

    generate_stubs(args.proto_dir, args.stubs_dir)
    # Imported only now: they did not exist before generate_stubs.
    from renkei.v1 import common_pb2, research_pb2, research_pb2_grpc, steward_pb2, steward_pb2_grpc

    researcher, steward_token = args.researcher_token, args.steward_token
    with grpc.insecure_channel(args.addr) as channel:
        research = research_pb2_grpc.ResearchServiceStub(channel)
        steward = steward_pb2_grpc.StewardServiceStub(channel)

        submitted = research.SubmitRequest(
            research_pb2.SubmitRequestRequest(
                project_id=args.project,
                title="care levels (Python client)",
                purpose="descriptive statistics",
                named_query=args.named_query,
            ),
            metadata=bearer(researcher),
            timeout=TIMEOUT,
        )
        expect_state(submitted, common_pb2.REQUEST_STATE_CHECKED, common_pb2, "SubmitRequest")
        request_id = submitted.id

        # Nothing leaves before release: the server must refuse, not send an empty result.
        try:
            fetch(research, research_pb2, request_id, researcher)
            fail("FetchResult before release succeeded")
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.FAILED_PRECONDITION:
                fail(f"FetchResult before release: expected FAILED_PRECONDITION, got {e.code()}: {e.details()}")

        review = steward.GetReview(
            steward_pb2.GetReviewRequest(id=request_id), metadata=bearer(steward_token), timeout=TIMEOUT
        )
        if review.request.id != request_id or not review.report_json or not review.checked_arrow:
            fail(f"GetReview: an incomplete review {review}")
        approved = steward.Approve(
            steward_pb2.ApproveRequest(id=request_id, output_hash=review.output_hash),
            metadata=bearer(steward_token),
            timeout=TIMEOUT,
        )
        expect_state(approved, common_pb2.REQUEST_STATE_APPROVED, common_pb2, "Approve")
        released = steward.Release(
            steward_pb2.ReleaseRequest(id=request_id), metadata=bearer(steward_token), timeout=TIMEOUT
        )
        expect_state(released, common_pb2.REQUEST_STATE_RELEASED, common_pb2, "Release")

        header, ipc = fetch(research, research_pb2, request_id, researcher)

    table = pyarrow.ipc.open_stream(ipc).read_all()
    csv = io.BytesIO()
    pyarrow.csv.write_csv(table, csv)
    print(
        json.dumps(
            {
                "request_id": request_id,
                "state": common_pb2.RequestState.Name(released.state),
                "columns": table.column_names,
                "rows": table.num_rows,
                "csv": csv.getvalue().decode("utf-8"),
                "report_has_policy": "policy" in json.loads(header.report_json),
            }
        )
    )


if __name__ == "__main__":
    try:
        main()
    except grpc.RpcError as e:
        fail(f"gRPC call failed: {e.code()}: {e.details()}")
