-- post.lua — wrk sends this body as a POST (bench/serve.sh sets BODY and CTYPE).
wrk.method = "POST"
wrk.body = os.getenv("BODY") or "5.1,3.5,1.4,0.2\n"
wrk.headers["Content-Type"] = os.getenv("CTYPE") or "text/csv"
