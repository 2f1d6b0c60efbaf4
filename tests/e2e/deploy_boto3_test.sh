#!/usr/bin/env bash
# deploy_boto3_test.sh — an existing SageMaker client works unchanged against `mlpc up`:
# boto3's `sagemaker-runtime` client (Debian's python3-boto3) with endpoint_url pointed at the
# router, dummy credentials, region us-east-1. invoke_endpoint with CSV and JSON bodies, the
# answering version in InvokedProductionVariant, and an unknown endpoint as a ClientError.
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/deploy_lib.sh"
if ! "$PY" -c 'import boto3' 2> /dev/null; then
  echo "# skipped: needs python3-boto3"
  echo "0 passed, 0 failed"
  exit 0
fi

P=$T/proj
deploy_project "$P"
check_eq "the pipeline registers iris version 1" 0 "$?"
cd "$P" || exit 2
"$MLPC" up serve.mlp --detach --port 0 > up.out 2>&1
check_eq "up --detach: exit 0" 0 "$?"
PORT=$(cat .mlp/agent/agent.port)

cat > client.py <<'EOF2'
import json, sys
import boto3
from botocore.exceptions import ClientError

rt = boto3.client("sagemaker-runtime", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="dummy")
csv = ("sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm\n"
       "5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n")
r = rt.invoke_endpoint(EndpointName="iris_api", ContentType="text/csv", Accept="text/csv",
                       Body=csv.encode())
print("csv-status", r["ResponseMetadata"]["HTTPStatusCode"])
print("csv-content-type", r["ContentType"])
print("csv-variant", r.get("InvokedProductionVariant"))
print("csv-body", r["Body"].read().decode().strip().replace("\n", "|"))
r = rt.invoke_endpoint(EndpointName="iris_api", ContentType="application/json",
                       Body=json.dumps({"instances": [[5.1, 3.5, 1.4, 0.2]]}))
print("json-predictions", json.loads(r["Body"].read())["predictions"])
try:
    rt.invoke_endpoint(EndpointName="nope", ContentType="text/csv", Body=b"1,2,3,4")
    print("unknown: no error")
except ClientError as e:
    print("unknown-code", e.response["Error"]["Code"])
    print("unknown-status", e.response["ResponseMetadata"]["HTTPStatusCode"])
    print("unknown-message", e.response["Error"]["Message"])
EOF2
out=$("$PY" client.py "http://127.0.0.1:$PORT" 2>&1)
check_contains "boto3 invoke_endpoint: 200" "csv-status 200" "$out"
check_contains "boto3: ContentType passed back" "csv-content-type text/csv" "$out"
check_contains "boto3: InvokedProductionVariant" "csv-variant v1" "$out"
check_contains "boto3: CSV predictions" "csv-body prediction,probability|0,1" "$out"
check_contains "boto3: JSON predictions" "json-predictions [0]" "$out"
check_contains "boto3: unknown endpoint is a ValidationError" "unknown-code ValidationError" "$out"
check_contains "boto3: unknown endpoint is 404" "unknown-status 404" "$out"
check_contains "boto3: unknown endpoint message" "unknown-message Endpoint nope not found." "$out"

"$MLPC" down > /dev/null 2>&1
check_eq "down: exit 0" 0 "$?"
check_eq "down: no server left" 0 "$(pgrep -f "$P/.mlp" | wc -l)"
finish
