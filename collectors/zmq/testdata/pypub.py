#!/usr/bin/python3
"""Publish multipart messages with libzmq, as nProbe would.

usage: pypub.py ENDPOINT bind|connect [SERVER_KEY_Z85|""] [WAIT_S] [LINGER_MS]
stdin: one message per line, frames as space-separated hex strings.
A CURVE client (ephemeral key pair) when SERVER_KEY_Z85 is given.
"""
import sys
import time
import zmq

endpoint, mode = sys.argv[1], sys.argv[2]
server_key = sys.argv[3] if len(sys.argv) > 3 else ""
messages = [[bytes.fromhex(f) for f in line.split()] for line in sys.stdin if line.strip()]

ctx = zmq.Context()
s = ctx.socket(zmq.PUB)
s.setsockopt(zmq.SNDHWM, 0)  # never drop: the test counts every message
s.setsockopt(zmq.LINGER, int(sys.argv[5]) if len(sys.argv) > 5 else 3000)
if server_key:
    pub, sec = zmq.curve_keypair()
    s.curve_serverkey = server_key.encode()
    s.curve_publickey = pub
    s.curve_secretkey = sec
if mode == "bind":
    s.bind(endpoint)
else:
    s.connect(endpoint)
time.sleep(float(sys.argv[4]) if len(sys.argv) > 4 else 0.7)  # PUB/SUB slow joiner: let the subscription arrive
for m in messages:
    s.send_multipart(m)
s.close()
ctx.term()
print(len(messages))
