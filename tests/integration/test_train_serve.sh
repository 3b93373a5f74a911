#!/bin/sh
# test_train_serve.sh - a model trained by our trainer (the census
# wide-and-deep model of test_model: vocabulary, hash, bucketized and crossed
# columns in the linear part, numeric, indicator and embedding columns in
# the DNN) and exported as a SavedModel is served by tensord: REST classify
# and regress answer with the trainer's own probabilities for the same rows
# (sent as JSON examples with string and float features), the classes are
# the label vocabulary, and the metadata lists the signatures.
set -u
. "$(dirname "$0")/lib.sh"

BASE="$WORK/census_dnn"
mkdir -p "$BASE"
TSD_EXPORT_BASE="$BASE" "$TSD_BINARY_DIR/tests/test_model" >"$WORK/train.log" 2>&1
check "trainer exports" [ -f "$BASE/expected.jsonl" ]
check "one version directory" [ "$(ls "$BASE" | grep -c '^[0-9][0-9]*$')" = 1 ]
start_tensord --model_name=census_dnn --model_base_path="$BASE" || { summary; exit 1; }

# one request per expected row: classify scores[1], regress value, predict
"$PY" - "$REST_PORT" "$BASE/expected.jsonl" <<'PYEOF' > "$WORK/py.out" 2>&1
import json, sys, urllib.request
port, path = sys.argv[1], sys.argv[2]
passed = failed = 0
def check(name, cond):
    global passed, failed
    if cond: passed += 1
    else:
        failed += 1; print("FAIL:", name)
def post(verb, body):
    req = urllib.request.Request('http://127.0.0.1:%s/v1/models/census_dnn:%s' % (port, verb),
                                 data=json.dumps(body).encode())
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())
rows = []
for line in open(path):
    r = json.loads(line)
    rows.append((r['example'], r['p']))
c = post('classify', {'examples': [r[0] for r in rows]})
for (ex, p), res in zip(rows, c['results']):
    check("classify labels", [res[0][0], res[1][0]] == ['<=50K', '>50K'])
    check("classify p=%g got %g" % (p, res[1][1]), abs(res[1][1] - p) < 1e-6)
r = post('regress', {'signature_name': 'regression', 'examples': [x[0] for x in rows]})
for (ex, p), v in zip(rows, r['results']):
    check("regress p=%g got %g" % (p, v), abs(v - p) < 1e-6)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PYEOF
rc=$?
cat "$WORK/py.out"
check "served predictions equal the trainer's" [ "$rc" = 0 ]
http GET /v1/models/census_dnn/metadata
check "metadata lists the four signatures" json_eq 'sorted(b["metadata"]["signature_def"]["signature_def"].keys()) == ["classification", "predict", "regression", "serving_default"]'
stop_tensord
summary
