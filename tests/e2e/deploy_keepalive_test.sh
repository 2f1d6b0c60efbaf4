#!/usr/bin/env bash
# deploy_keepalive_test.sh — the router's connections (docs/deploy.md, "Connections"): towards a
# model server that keeps connections alive (HTTP/1.1) the router reuses them, so 30 requests
# arrive on far fewer connections; a server that closes them (HTTP/1.0) gets a new one per
# request and every request still succeeds; 20 clients holding idle kept-alive connections do
# not stop a 21st from being served (httplib's default of 8 workers would make it wait 5 s).
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/deploy_lib.sh"

P=$T/proj
WS=$P/.mlp
mkdir -p "$P"
cd "$P" || exit 2
DEPLOY_WS+=("$WS")
# A toy server that answers with the client's port (the router's side of the connection).
cat > port_serve.py <<'EOF2'
import http.server, sys
proto = open(sys.argv[1]).read().split()[0]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = proto
    def log_message(self, *a):
        pass
    def answer(self, body):
        b = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        self.answer("ok")
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.answer(str(self.client_address[1]))
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), H).serve_forever()
EOF2
cat > ka.mlp <<'EOF2'
step Make(proto: string) -> (model: Model<sklearn>) {
  run = "echo ${proto} > ${model}"
}

server PortServe(model: Model<sklearn>) {
  code   = ["port_serve.py"]
  run    = "/usr/bin/python3 port_serve.py ${model} ${port}"
  health = "/health"
  invoke = "/invocations"
}

model toy {
  approval = auto
  serve    = PortServe
}

pipeline make(proto: string = "HTTP/1.1") {
  m = Make(proto = proto)
  register m in toy
}

endpoint http11 {
  model = toy.version(1)
}

endpoint http10 {
  model = toy.version(2)
}
EOF2
"$MLPC" run ka.mlp > /dev/null 2>&1
check_eq "version 1 (HTTP/1.1) registered" 0 "$?"
"$MLPC" run ka.mlp --param proto=HTTP/1.0 > /dev/null 2>&1
check_eq "version 2 (HTTP/1.0) registered" 0 "$?"
"$MLPC" up ka.mlp --detach --port 0 > up.out 2>&1
check_eq "up: exit 0" 0 "$?"
PORT=$(cat "$WS/agent/agent.port")

# ports ENDPOINT: the distinct router-side ports of 30 sequential requests, or FAIL.
ports() {
  "$PY" - "http://127.0.0.1:$PORT/endpoints/$1/invocations" <<'EOF2'
import sys, urllib.request
seen = set()
for _ in range(30):
    r = urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b"1", method="POST"))
    if r.status != 200:
        print("FAIL", r.status)
        sys.exit()
    seen.add(r.read())
print(len(seen))
EOF2
}
n=$(ports http11)
check "HTTP/1.1 server: 30 requests on at most 3 connections (got $n)" test "$n" -le 3 2> /dev/null
n=$(ports http10)
check_eq "HTTP/1.0 server: a new connection for each of 30 requests" 30 "$n"

out=$("$PY" - "$PORT" <<'EOF2'
import http.client, sys, time
port = int(sys.argv[1])
held = []
for _ in range(20):  # each sends one request, then keeps its connection open and idle
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/endpoints/http11/invocations", body=b"1")
    r = c.getresponse()
    r.read()
    held.append(c)
t = time.monotonic()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
c.request("POST", "/endpoints/http11/invocations", body=b"1")
r = c.getresponse()
r.read()
print(r.status, "fast" if time.monotonic() - t < 2.5 else "slow")
EOF2
)
check_eq "20 idle kept-alive clients: a 21st is answered at once" "200 fast" "$out"

"$MLPC" down > /dev/null 2>&1
check_eq "down: exit 0" 0 "$?"
finish
