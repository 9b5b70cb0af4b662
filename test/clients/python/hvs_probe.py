#!/usr/bin/python3
"""A non-TypeScript client of the controller's gRPC API (Debian's python3-grpcio).

Reads a JSON list of calls on stdin, each {"path": "/hvs.v1.Service/Method", "request": "<base64
protobuf>", "stream": bool, "clientStream": bool}, makes each one over TLS (trusting --ca, naming the server
--server-name) with the given credential (--cert/--key client certificate and/or --token-file
bearer token, or none), and prints a JSON list of {"path", "code"} (the gRPC status name).
The request bytes are opaque here: this client knows no generated code, only the wire.
"""
import argparse
import base64
import json
import sys

import grpc


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--server-name", default="controller.hvs")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--token-file")
    a = ap.parse_args()

    def read(path):
        with open(path, "rb") as f:
            return f.read()

    creds = grpc.ssl_channel_credentials(
        root_certificates=read(a.ca),
        private_key=read(a.key) if a.key else None,
        certificate_chain=read(a.cert) if a.cert else None,
    )
    metadata = []
    if a.token_file:
        metadata.append(("authorization", "Bearer " + read(a.token_file).decode().strip()))
    channel = grpc.secure_channel(a.target, creds, options=[("grpc.ssl_target_name_override", a.server_name)])
    out = []
    for call in json.load(sys.stdin):
        body = base64.b64decode(call.get("request", ""))
        code = "OK"
        try:
            if call.get("clientStream"):
                # A client stream of the one request message.
                channel.stream_unary(call["path"])(iter([body]), timeout=10, metadata=metadata)
            elif call.get("stream"):
                it = channel.unary_stream(call["path"])(body, timeout=10, metadata=metadata)
                try:
                    next(it)
                except StopIteration:
                    pass
                it.cancel()
            else:
                channel.unary_unary(call["path"])(body, timeout=10, metadata=metadata)
        except grpc.RpcError as e:
            code = e.code().name
        out.append({"path": call["path"], "code": code})
    channel.close()
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
