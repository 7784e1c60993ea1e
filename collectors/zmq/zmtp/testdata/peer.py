#!/usr/bin/env python3
"""libzmq peer for the zmtp interop tests (driven by zmtp_interop_test.go).

pub: publishes "flowSYNC" messages until a line arrives on stdin, then one
     [header, payload] message per --sizes entry (each preceded by an "xxxx"
     message that a "flow" subscriber must never see), then "flowEND".
sub: receives --count messages and prints one line per message with the
     frame count and the sha256 of every frame.
Payload byte j of message i is (i*31 + j*7) % 251; the Go test builds the same.
"""
import argparse
import hashlib
import select
import sys

import zmq


def payload(i, n):
    return bytes((i * 31 + j * 7) % 251 for j in range(n))


def header(topic, i):
    h = topic + bytes(32 - len(topic))
    return h + i.to_bytes(4, "big")  # 36 bytes, like a v3 nProbe header


def stdin_ready(timeout):
    r, _, _ = select.select([sys.stdin], [], [], timeout)
    return bool(r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--role", choices=["pub", "sub"], required=True)
    ap.add_argument("--mode", choices=["bind", "connect"], required=True)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--serverkey", help="pub: act as CURVE client of this Z85 public key")
    ap.add_argument("--serversecret", help="sub: act as CURVE server with this Z85 secret key")
    ap.add_argument("--sizes", default="0,1,300")
    ap.add_argument("--count", type=int, default=1)
    a = ap.parse_args()

    ctx = zmq.Context()
    s = ctx.socket(zmq.PUB if a.role == "pub" else zmq.SUB)
    # A PUB lingers so everything is delivered; a SUB has nothing to deliver.
    s.setsockopt(zmq.LINGER, 5000 if a.role == "pub" else 0)
    if a.serverkey:
        pub, sec = zmq.curve_keypair()
        s.curve_publickey, s.curve_secretkey = pub, sec
        s.curve_serverkey = a.serverkey.encode()
    if a.serversecret:
        s.curve_server = True
        s.curve_secretkey = a.serversecret.encode()
        s.curve_publickey = zmq.curve_public(a.serversecret.encode())
    if a.role == "sub":
        s.setsockopt(zmq.SUBSCRIBE, b"")
        s.setsockopt(zmq.RCVTIMEO, 20000)
    if a.mode == "bind":
        s.bind(a.endpoint)
        print("ENDPOINT", s.getsockopt(zmq.LAST_ENDPOINT).decode(), flush=True)
    else:
        s.connect(a.endpoint)

    if a.role == "pub":
        while not stdin_ready(0.02):
            s.send_multipart([header(b"flowSYNC", 0), b""])
        if not sys.stdin.readline():
            return 0  # stdin closed: the test is done with us
        sizes = [int(x) for x in a.sizes.split(",") if x]
        for i, n in enumerate(sizes):
            s.send_multipart([header(b"xxxx", i), b"must be filtered"])
            s.send_multipart([header(b"flow", i), payload(i, n)])
        s.send_multipart([header(b"flowEND", len(sizes)), b""])
        s.close()  # lingers until sent
    else:
        for _ in range(a.count):
            try:
                frames = s.recv_multipart()
            except zmq.Again:
                print("TIMEOUT", flush=True)
                return 2
            print("MSG", len(frames), " ".join(hashlib.sha256(f).hexdigest() for f in frames), flush=True)
        s.close()
    ctx.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
