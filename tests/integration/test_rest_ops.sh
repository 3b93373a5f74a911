#!/bin/sh
# test_rest_ops.sh - operational REST features: CORS headers and preflight,
# the Prometheus endpoint from --monitoring_config_file (TF Serving's metric
# names and format), readiness while draining, --version and --help, and
# version policies (specific versions).
set -u
. "$(dirname "$0")/lib.sh"

M=$TSD_SHARED_DIR/models/tfserving
cat > "$WORK/monitoring.config" <<EOF
prometheus_config { enable: true path: "/metrics" }
EOF
mkdir -p "$WORK/half"
cp -r "$M/saved_model_half_plus_two_cpu/00000123" "$WORK/half/7"
start_tensord --model_name=half --model_base_path="$WORK/half" --rest_api_enable_cors_support \
    --monitoring_config_file="$WORK/monitoring.config" || { summary; exit 1; }

curl -s -D "$WORK/hdr" -o "$WORK/body" -X POST --data '{"instances": [[1.0]]}' \
    "http://127.0.0.1:$REST_PORT/v1/models/half:predict"
check "content type" grep -qi '^Content-Type: application/json' "$WORK/hdr"
check "CORS origin" grep -qi '^Access-Control-Allow-Origin: \*' "$WORK/hdr"
check "CORS methods" grep -qi '^Access-Control-Allow-Methods: POST, GET' "$WORK/hdr"

code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X OPTIONS -H 'Origin: https://example.org' \
    "http://127.0.0.1:$REST_PORT/v1/models/half:predict")
check "preflight 200" [ "$code" = 200 ]
code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X OPTIONS \
    "http://127.0.0.1:$REST_PORT/v1/models/half:predict")
check "preflight without origin 400" [ "$code" = 400 ]
check "preflight message" json_eq 'b["error"] == "Origin header is missing in CORS preflight"'

http POST /v1/models/nope:predict '{"instances": [[1.0]]}'
curl -s -D "$WORK/hdr" -o "$WORK/metrics" "http://127.0.0.1:$REST_PORT/metrics"
check "metrics content type" grep -qi '^Content-Type: text/plain' "$WORK/hdr"
check "metrics TYPE line" contains "$WORK/metrics" "# TYPE :tensorflow:serving:request_count counter"
check "metrics ok count" contains "$WORK/metrics" ':tensorflow:serving:request_count{model_name="half",status="OK"} 1'
check "metrics not found" contains "$WORK/metrics" ':tensorflow:serving:request_count{model_name="nope",status="NOT_FOUND"} 1'
check "latency histogram" contains "$WORK/metrics" ':tensorflow:serving:request_latency_bucket{model_name="half",API="predict",entrypoint="REST",le="10"}'
check "latency count" contains "$WORK/metrics" ':tensorflow:serving:request_latency_count{model_name="half",API="predict",entrypoint="REST"} 1'
check "per-version counter" contains "$WORK/metrics" 'tensord_version_request_count{model_name="half",version="7",API="predict",status="OK"} 1'
check "load attempts" contains "$WORK/metrics" ':tensorflow:cc:saved_model:load_attempt_count{model_path="'"$WORK/half/7"'",status="success"} 1'
check "no HELP lines" sh -c "! grep -q '^# HELP' '$WORK/metrics'"

# the status route ignores a label, as TF Serving does
http GET /v1/models/half/labels/whatever
check "label ignored on status" json_eq 'b["model_version_status"][0]["version"] == "7"'
stop_tensord

# a version policy with specific versions
mkdir -p "$WORK/two"
cp -r "$M/saved_model_half_plus_two_2_versions/00000123" "$WORK/two/123"
cp -r "$M/saved_model_half_plus_two_2_versions/00000124" "$WORK/two/124"
cat > "$WORK/models.config" <<EOF
model_config_list { config { name: 'two' base_path: '$WORK/two' model_platform: 'tensorflow'
  model_version_policy { specific { versions: 123 } } } }
EOF
start_tensord --model_config_file="$WORK/models.config" || { summary; exit 1; }
http GET /v1/models/two
check "specific policy" json_eq '[v["version"] for v in b["model_version_status"]] == ["123"]'
http GET /v1/models/two/versions/124
check "unserved version status 404" [ "$HTTP_CODE" = 404 ]
check "unserved version message" json_eq 'b["error"] == "Could not find version 124 of model two"'
stop_tensord

# JSON logs with every request logged
start_tensord --model_name=half --model_base_path="$WORK/half" --log_json \
    --log_requests_sample_rate=1 || { summary; exit 1; }
http POST /v1/models/half:predict '{"instances": [[1.0]]}'
http POST /v1/models/nope:predict '{"instances": [[1.0]]}'
stop_tensord
check "JSON log lines" "$PY" -c "
import json
lines = [json.loads(l) for l in open('$WORK/tensord.log')]
assert all(set(l) == {'time', 'level', 'msg'} for l in lines)
reqs = [l['msg'] for l in lines if l['msg'].startswith('request ')]
assert any('model=half version=7 api=predict status=OK' in m for m in reqs), reqs
assert any('model=nope version=-1 api=predict status=NOT_FOUND' in m for m in reqs), reqs
"
start_tensord --model_name=half --model_base_path="$WORK/half" || { summary; exit 1; }
http POST /v1/models/half:predict '{"instances": [[1.0]]}'
stop_tensord
check "no request lines by default" sh -c "! grep -q 'request entrypoint' '$WORK/tensord.log'"

# --rest_api_timeout_in_ms: a request that cannot finish in time gets 504
start_tensord --model_name=half --model_base_path="$WORK/half" --rest_api_timeout_in_ms=1 \
    || { summary; exit 1; }
"$PY" -c "print('{\"instances\": [' + ', '.join(['[1.5]'] * 400000) + ']}')" > "$WORK/big.json"
HTTP_CODE=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST --data-binary @"$WORK/big.json" \
    "http://127.0.0.1:$REST_PORT/v1/models/half:predict")
check "timeout 504" [ "$HTTP_CODE" = 504 ]
check "timeout message" json_eq '"Deadline Exceeded" in b["error"]'
stop_tensord

"$TENSORD" --version > "$WORK/out" 2>&1
check "--version build info" contains "$WORK/out" "build: commit"
check "--version" contains "$WORK/out" "TensorFlow ModelServer: tensord"
"$TENSORD" --help > "$WORK/out" 2>&1
check "--help lists flags" contains "$WORK/out" "--model_config_file_poll_wait_seconds"
"$TENSORD" --rest_api_port=0 > "$WORK/out" 2>&1
check "no model given" contains "$WORK/out" "Both server_options.model_base_path and server_options.model_config_file are empty!"
"$TENSORD" --rest_api_port=0 --port="$(free_port)" --model_name=half \
    --model_base_path="$WORK/half/../half" > "$WORK/out" 2>&1
rc=$?
check "'..' in a base path is refused" [ "$rc" != 0 ]
check "'..' message" contains "$WORK/out" "must not contain '..' components"
"$TENSORD" --rest_api_port=0 --port="$(free_port)" --model_name=half \
    --model_base_path="$WORK/half" --log_level=loud > "$WORK/out" 2>&1
rc=$?
check "unknown --log_level is refused" [ "$rc" != 0 ]
check "--log_level message" contains "$WORK/out" "Illegal value 'loud' specified for flag 'log_level'"
summary
