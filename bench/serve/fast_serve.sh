#!/bin/sh
# fast_serve.sh PORT — the bench's trivial fast model server: nginx answering every request
# with a constant body (GET /health, POST /invocations), in the foreground so that the agent
# owns it. Its prefix (logs, temp files) is the current directory.
set -e
port=$1
dir=$(pwd)/nginx-$port
mkdir -p "$dir/logs"
cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$port;
    location / { default_type text/csv; return 200 "0.5\n"; }
  }
}
CONF
exec /usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf"
