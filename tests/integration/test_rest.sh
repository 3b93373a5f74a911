#!/bin/sh
# test_rest.sh - start tensord on real fixtures and talk real HTTP with curl:
# predict (row and columnar), classify, regress, census wide&deep (classify,
# regress, predict from a b64 tf.Example), status, metadata, list,
# health, error classes with TF Serving's wording, and a SIGTERM drain.
set -u
. "$(dirname "$0")/lib.sh"

M=$TSD_SHARED_DIR/models/tfserving

# ---- half_plus_two (single-model flags) --------------------------------------
mkdir -p "$WORK/hp2"
cp -r "$M/saved_model_half_plus_two_cpu/00000123" "$WORK/hp2/123"
start_tensord --model_name=half --model_base_path="$WORK/hp2" --file_system_poll_wait_seconds=1 \
    || { summary; exit 1; }

http POST /v1/models/half:predict '{"instances": [1.0, 2.0, 5.0]}'
check "predict row status" [ "$HTTP_CODE" = 200 ]
check "predict row values" json_eq 'b == {"predictions": [[2.5], [3.0], [4.5]]} or b == {"predictions": [2.5, 3.0, 4.5]}'

http POST /v1/models/half:predict '{"instances": [[2.0], [3.0], [4.0]]}'
check "predict [[x]]" json_eq 'b["predictions"] == [[3.0], [3.5], [4.0]]'

http POST /v1/models/half:predict '{"inputs": {"x": [[2.0], [3.0]]}}'
check "predict columnar" json_eq 'b == {"outputs": [[3.0], [3.5]]}'

http POST /v1/models/half/versions/123:predict '{"signature_name": "serving_default", "instances": [[1.0]]}'
check "predict by version" json_eq 'b["predictions"] == [[2.5]]'

http POST /v1/models/half:classify '{"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}'
check "classify status" [ "$HTTP_CODE" = 200 ]
check "classify value" json_eq 'b == {"results": [[["", 3.0]]]}'

http POST /v1/models/half:regress '{"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}, {"x": 4.0}]}'
check "regress values" json_eq 'b == {"results": [3.0, 4.0]}'

http POST /v1/models/half:regress '{"signature_name": "regress_x_to_y2", "context": {"x": 1.0}, "examples": [{}, {"x": 4.0}]}'
check "regress with context" json_eq 'b == {"results": [3.5, 5.0]}'

http GET /v1/models/half
check "status code" [ "$HTTP_CODE" = 200 ]
check "status body" json_eq 'b["model_version_status"][0]["version"] == "123" and b["model_version_status"][0]["state"] == "AVAILABLE" and b["model_version_status"][0]["status"]["error_code"] == "OK"'

http GET /v1/models/half/metadata
check "metadata" json_eq 'b["model_spec"]["version"] == "123" and "serving_default" in b["metadata"]["signature_def"]["signature_def"] and b["metadata"]["signature_def"]["signature_def"]["serving_default"]["inputs"]["x"]["dtype"] == "DT_FLOAT"'

http GET /v1/models
check "list models" json_eq 'b["models"][0]["name"] == "half"'

http GET /healthz
check "healthz" [ "$HTTP_CODE" = 200 ]
http GET /readyz
check "readyz" [ "$HTTP_CODE" = 200 ]

# ---- errors --------------------------------------------------------------------
http POST /v1/models/nope:predict '{"instances": [1.0]}'
check "unknown model 404" [ "$HTTP_CODE" = 404 ]
check "unknown model msg" json_eq 'b["error"] == "Servable not found for request: Latest(nope)"'

http POST /v1/models/half/versions/999:predict '{"instances": [1.0]}'
check "unknown version" json_eq 'b["error"] == "Servable not found for request: Specific(half, 999)"'

http POST /v1/models/half/labels/stable:predict '{"instances": [1.0]}'
check "unknown label 400" [ "$HTTP_CODE" = 400 ]
check "unknown label msg" json_eq 'b["error"] == "Unrecognized servable version label: stable"'

http POST /v1/models/half:predict '{"instances": [1.0'
check "bad json 400" [ "$HTTP_CODE" = 400 ]
check "bad json msg" json_eq 'b["error"].startswith("JSON Parse error")'

http POST /v1/models/half:predict ''
check "empty body" json_eq 'b["error"] == "JSON Parse error: The document is empty"'

http POST /v1/models/half:predict '{"instances": [1.0], "inputs": [1.0]}'
check "both keys" json_eq '"only one of" in b["error"]'

http POST /v1/models/half:predict '{"foo": 1}'
check "missing key" json_eq 'b["error"] == "Missing '"'"'inputs'"'"' or '"'"'instances'"'"' key"'

http POST /v1/models/half:predict '{"instances": ["a"]}'
check "wrong dtype" json_eq '"is not of expected type: float" in b["error"]'

http POST /v1/models/half:predict '{"instances": [[1.0], [1.0, 2.0]]}'
check "ragged" json_eq '"Expecting shape" in b["error"] or "unexpected size" in b["error"]'

http POST /v1/models/half:predict '{"signature_name": "nope", "instances": [1.0]}'
check "unknown signature" json_eq 'b["error"] == "Serving signature name: \"nope\" not found in signature def"'

http POST /v1/models/half:classify '{"signature_name": "classify_x_to_y"}'
check "classify no examples" json_eq 'b["error"] == "When method is classify, key '"'"'examples'"'"' is expected and was not found"'

http GET /v1/foo
check "malformed" json_eq 'b["error"] == "Malformed request: GET /v1/foo"'

http GET /v1/models/half/versions/x1
check "bad version path" [ "$HTTP_CODE" = 400 ]

head -c 70000000 /dev/zero | tr '\0' ' ' > "$WORK/big.json"
HTTP_CODE=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST --data-binary @"$WORK/big.json" \
    "http://127.0.0.1:$REST_PORT/v1/models/half:predict")
check "body limit 413" [ "$HTTP_CODE" = 413 ]

# the server is still healthy after all that
http POST /v1/models/half:predict '{"instances": [[4.0]]}'
check "still serving" json_eq 'b["predictions"] == [[4.0]]'

# ---- a new version appears (written under a temporary name, then renamed) ----
cp -r "$M/saved_model_half_plus_two_cpu/00000123" "$WORK/hp2/tmp-124"
mv "$WORK/hp2/tmp-124" "$WORK/hp2/124"
i=0
while [ $i -lt 100 ]; do
    http POST /v1/models/half:predict '{"instances": [[1.0]]}'
    http GET /v1/models/half/versions/124
    if json_eq 'b["model_version_status"][0]["state"] == "AVAILABLE"'; then break; fi
    sleep 0.1; i=$((i + 1))
done
check "new version available" json_eq 'b["model_version_status"][0]["state"] == "AVAILABLE"'
http GET /v1/models/half/metadata
check "latest is 124" json_eq 'b["model_spec"]["version"] == "124"'

# ---- a corrupt version appears: refused, the old one keeps serving ----------
mkdir -p "$WORK/hp2/tmp-125"
cp -r "$M/saved_model_half_plus_two_cpu/00000123/." "$WORK/hp2/tmp-125/"
head -c 100 "$M/saved_model_half_plus_two_cpu/00000123/saved_model.pb" > "$WORK/hp2/tmp-125/saved_model.pb"
mv "$WORK/hp2/tmp-125" "$WORK/hp2/125"
i=0
while [ $i -lt 100 ]; do
    http GET /v1/models/half/versions/125
    if json_eq 'b["model_version_status"][0]["state"] == "END"'; then break; fi
    sleep 0.1; i=$((i + 1))
done
check "corrupt version END" json_eq 'b["model_version_status"][0]["state"] == "END" and b["model_version_status"][0]["status"]["error_code"] != "OK"'
http POST /v1/models/half:predict '{"instances": [[2.0]]}'
check "old version serves" json_eq 'b["predictions"] == [[3.0]]'

stop_tensord
check "SIGTERM exit 0" [ "$STOP_RC" = 0 ]

# ---- start-up failures ------------------------------------------------------------
printf 'model_config_list { config { nme: "x" } }\n' > "$WORK/bad.config"
"$TENSORD" --rest_api_port=0 --model_config_file="$WORK/bad.config" >"$WORK/out" 2>&1
rc=$?
check "bad config exit" [ "$rc" -ne 0 ]
check "bad config msg" contains "$WORK/out" "Error parsing text-format tensorflow.serving.ModelServerConfig: 1:30"

"$TENSORD" --rest_api_port=0 --model_base_path=relative/path >"$WORK/out" 2>&1
check "relative base path" contains "$WORK/out" "Expected model default to have an absolute path or URI"

"$TENSORD" --no_such_flag >"$WORK/out" 2>&1
rc=$?
check "unknown flag" [ "$rc" -ne 0 ]
check "unknown flag msg" contains "$WORK/out" "unknown command line flag 'no_such_flag'"

# ---- several models from a config file ----------------------------------------
cat > "$WORK/models.config" <<EOF
model_config_list {
  config { name: 'three' base_path: '$M/saved_model_half_plus_three' model_platform: 'tensorflow' }
  config { name: 'census' base_path: '$TSD_SHARED_DIR/models/estimator/census_wide_deep' model_platform: 'tensorflow' }
  config { name: 'two' base_path: '$M/saved_model_half_plus_two_2_versions' model_platform: 'tensorflow'
           model_version_policy { all {} }
           version_labels { key: 'stable' value: 123 } version_labels { key: 'canary' value: 124 } }
}
EOF
start_tensord --model_config_file="$WORK/models.config" || { summary; exit 1; }
http POST /v1/models/three:predict '{"instances": [1.0, 2.0, 5.0]}'
check "half_plus_three documented" json_eq 'b == {"predictions": [3.5, 4.0, 5.5]}'
http GET /v1/models/two
check "two versions" json_eq 'sorted(v["version"] for v in b["model_version_status"]) == ["123", "124"]'
http POST /v1/models/two/labels/canary:predict '{"instances": [[1.0, 2.0], [3.0, 4.0]]}'
check "label canary" json_eq 'b["predictions"] == [[2.5, 3.0], [3.5, 4.0]]'
http GET /v1/models/two/labels/stable/metadata
check "label metadata" json_eq 'b["model_spec"]["version"] == "123"'

# census wide&deep over HTTP: documented case A (classify), case C (regress),
# and case A again as a b64 serialized tf.Example through the predict signature
A='{"age": 25.0, "capital_gain": 0.0, "capital_loss": 0.0, "education": "11th", "education_num": 7.0, "gender": "Male", "hours_per_week": 40.0, "native_country": "United-States", "occupation": "Machine-op-inspct", "relationship": "Own-child", "workclass": "Private"}'
C='{"age": 35.0, "capital_gain": 0.0, "capital_loss": 0.0, "education": "Masters", "education_num": 14.0, "gender": "Female", "hours_per_week": 29.0, "native_country": "United-States", "occupation": "Prof-specialty", "relationship": "Husband", "workclass": "Private"}'
http POST /v1/models/census:classify "{\"examples\": [$A]}"
check "census classify case A" json_eq 'b["results"][0][0][0] == "0" and abs(b["results"][0][0][1] - 0.9860167) < 1e-5 and abs(b["results"][0][1][1] - 0.013983363) < 1e-5'
http POST /v1/models/census:regress "{\"signature_name\": \"regression\", \"examples\": [$C]}"
check "census regress case C" json_eq 'abs(b["results"][0] - 0.4538794) < 1e-5'
mkdir -p "$WORK/py"
protoc -I"$TSD_SOURCE_DIR/proto" --python_out="$WORK/py" tensorflow/core/example/example.proto \
    tensorflow/core/example/feature.proto
EXB64=$(PYTHONPATH="$WORK/py" "$PY" - "$A" <<'EOF'
import base64, json, sys
from tensorflow.core.example import example_pb2
ex = example_pb2.Example()
for k, v in json.loads(sys.argv[1]).items():
    f = ex.features.feature[k]
    if isinstance(v, str): f.bytes_list.value.append(v.encode())
    else: f.float_list.value.append(v)
print(base64.b64encode(ex.SerializeToString()).decode())
EOF
)
http POST /v1/models/census:predict "{\"signature_name\": \"predict\", \"instances\": [{\"examples\": {\"b64\": \"$EXB64\"}}]}"
check "census predict from b64" json_eq 'b["predictions"][0]["classes"] == ["0"] and b["predictions"][0]["class_ids"] == [0] and abs(b["predictions"][0]["probabilities"][0] - 0.9860167) < 1e-5'
# nesting far beyond any tensor's rank: a clear 400, and the server goes on
DEEP=$("$PY" -c 'print("{\"instances\": " + "[" * 200 + "1.0" + "]" * 200 + "}")')
http POST /v1/models/three:predict "$DEEP"
check "deep nesting refused" [ "$HTTP_CODE" = 400 ]
check "deep nesting message" json_eq '"nesting is too deep" in b["error"]'
http POST /v1/models/three:predict '{"instances": [1.0]}'
check "serving after deep nesting" json_eq 'b == {"predictions": [3.5]}'
stop_tensord
check "SIGTERM exit 0 (config)" [ "$STOP_RC" = 0 ]

summary
