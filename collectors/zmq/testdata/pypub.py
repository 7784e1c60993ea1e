#!/usr/bin/python3
"""Publish multipart messages with libzmq, as nProbe would.

usage: pypub.py ENDPOINT bind|connect [SERVER_KEY_Z85|""] [WAIT_S] [LINGER_MS]
stdin: one message per line, frames as space-separated hex strings.
A CURVE client (ephemeral key pair) when SERVER_KEY_Z85 is given.

The socket is an XPUB (a PUB that hands over the subscriptions it gets), so
the messages are sent once a subscriber for their topics is there, instead
of after a fixed sleep that a loaded machine can outlast (PUB drops what it
sends before the subscription arrives). WAIT_S bounds that wait (default
30); when it passes the messages are sent anyway, and dropped, as a client
the subscriber refused expects.
"""
import sys
import time
import zmq

endpoint, mode = sys.argv[1], sys.argv[2]
server_key = sys.argv[3] if len(sys.argv) > 3 else ""
messages = [[bytes.fromhex(f) for f in line.split()] for line in sys.stdin if line.strip()]

ctx = zmq.Context()
s = ctx.socket(zmq.XPUB)
s.setsockopt(zmq.SNDHWM, 0)  # never drop: the test counts every message
s.setsockopt(zmq.LINGER, int(sys.argv[5]) if len(sys.argv) > 5 else 30000)
if server_key:
    pub, sec = zmq.curve_keypair()
    s.curve_serverkey = server_key.encode()
    s.curve_publickey = pub
    s.curve_secretkey = sec
if mode == "bind":
    s.bind(endpoint)
else:
    s.connect(endpoint)
topics = {m[0][:4] for m in messages if m}  # the first 4 bytes: "flow", "even", ...
deadline = time.monotonic() + (float(sys.argv[4]) if len(sys.argv) > 4 else 30.0)
while topics:
    left = deadline - time.monotonic()
    if left <= 0 or not s.poll(int(left * 1000), zmq.POLLIN):
        break
    sub = s.recv()
    if sub[:1] == b"\x01":
        topics = {t for t in topics if not t.startswith(sub[1:5])}
for m in messages:
    s.send_multipart(m)
s.close()
ctx.term()
print(len(messages))
