"""Malformed, truncated and abandoned requests against the router (deploy_serve_test.sh).

Usage: deploy_badhttp.py PORT [PATH]. Sends a few hundred bad requests, each on its own connection
that the client closes (no reply is needed); prints how many connections were made. PATH
(default /endpoints/iris_api/invocations) is the route the requests aim at."""
import random
import socket
import sys

port = int(sys.argv[1])
rng = random.Random(8)
good = (b"POST /endpoints/iris_api/invocations HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: text/csv\r\nContent-Length: 16\r\n\r\n5.1,3.5,1.4,0.2\n")
cases = [
    b"\r\n\r\n",
    b"GARBAGE\r\n\r\n",
    b"POST\r\n\r\n",
    b"POST /endpoints/iris_api/invocations HTTP/9.9\r\n\r\n",
    b"POST /endpoints/iris_api/invocations HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    b"POST /endpoints/iris_api/invocations HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
    b"POST /endpoints/iris_api/invocations HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST /endpoints/%ZZ/invocations HTTP/1.1\r\n\r\n",
    b"POST /endpoints/" + b"a" * 10000 + b"/invocations HTTP/1.1\r\n\r\n",
    b"POST /endpoints/iris_api/invocations HTTP/1.1\r\n" + b"X: y\r\n" * 5000 + b"\r\n",
    b"\x00\xff\xfe" * 100,
]
if len(sys.argv) > 2:
    path = sys.argv[2].encode()
    good = good.replace(b"/endpoints/iris_api/invocations", path)
    cases = [c.replace(b"/endpoints/iris_api/invocations", path) for c in cases]
n = 0
for i in range(300):
    if i % 3 == 0:
        data = rng.choice(cases)
    elif i % 3 == 1:
        data = good[: rng.randrange(1, len(good))]  # truncated anywhere
    else:
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    try:
        s.sendall(data)
        if rng.random() < 0.5:
            s.settimeout(0.2)
            try:
                s.recv(100)
            except OSError:
                pass
    except OSError:
        pass
    s.close()  # disconnect, mid-request for the truncated ones
    n += 1
print(n)
