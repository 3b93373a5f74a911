#!/bin/sh
# test_batch.sh - server-side batching against a running tensord, with
# curl-free Python clients (urllib for REST, grpcio for gRPC):
#   1. census wide&deep classify from 16 threads through a batching server
#      gives the same scores as an unbatched server (within 1e-4: OpenBLAS's
#      sgemm sums in a different order for different batch sizes, which an
#      unbatched server shows too when one example is sent in batches of 1
#      and 4); half_plus_two Predict
#      over gRPC from 8 threads gives exact 0.5x+2; the batching metrics
#      show batches of more than one request;
#   2. one bad tf.Example in a batch fails only its own request;
#   3. per-model batching_params.pbtxt: queue full (503, TF's wording),
#      oversize (400), deadline while queued (504), allowed_batch_sizes
#      padding, pad_variable_length_inputs, a model without the file served
#      unbatched, a version with a bad file refused while the old one serves;
#   4. start-up errors for bad flag combinations and parameter files.
set -u
. "$(dirname "$0")/lib.sh"

MS=$TSD_SHARED_DIR/models
HALF=$TSD_SOURCE_DIR/models/half_plus_two
mkdir -p "$WORK/py"
protoc -I"$TSD_SOURCE_DIR/proto" --python_out="$WORK/py" \
    $(cd "$TSD_SOURCE_DIR/proto" && find . -name '*.proto' ! -path './google/*' | sed 's#^\./##') \
    || { fail protoc; summary; exit 1; }

# ---- 1+2: batched vs unbatched ------------------------------------------------
cat > "$WORK/models.config" <<EOF
model_config_list {
  config { name: 'census' base_path: '$MS/estimator/census_wide_deep' model_platform: 'tensorflow' }
  config { name: 'half' base_path: '$HALF' model_platform: 'tensorflow' }
}
EOF
REF_PORT=$(free_port)
"$TENSORD" --port="$(free_port)" --rest_api_port="$REF_PORT" \
    --model_config_file="$WORK/models.config" >"$WORK/ref.log" 2>&1 &
REF_PID=$!
trap 'kill -9 $REF_PID 2>/dev/null; cleanup' EXIT

cat > "$WORK/batching.txt" <<EOF
max_batch_size { value: 32 }
batch_timeout_micros { value: 20000 }
max_enqueued_batches { value: 100 }
num_batch_threads { value: 2 }
EOF
printf 'prometheus_config { enable: true path: "/metrics" }\n' > "$WORK/monitoring.config"
start_tensord --model_config_file="$WORK/models.config" --enable_batching \
    --batching_parameters_file="$WORK/batching.txt" \
    --monitoring_config_file="$WORK/monitoring.config" || { summary; exit 1; }
i=0
while ! curl -s -o /dev/null "http://127.0.0.1:$REF_PORT/healthz" && [ $i -lt 300 ]; do
    sleep 0.1; i=$((i + 1))
done
check "batching enabled is logged" contains "$WORK/tensord.log" "Batching enabled: max_batch_size 32"

PYTHONPATH="$WORK/py" "$PY" - "$REF_PORT" "$REST_PORT" "$GRPC_PORT" "$TSD_SHARED_DIR" \
    <<'EOF' > "$WORK/py.out" 2>&1
import sys, json, threading, urllib.request, urllib.error, grpc
from tensorflow_serving.apis import predict_pb2
from tensorflow.core.framework import types_pb2
ref_port, port, gport, shared = sys.argv[1:5]
passed = failed = 0
def check(name, cond):
    global passed, failed
    if cond: passed += 1
    else:
        failed += 1; print("FAIL:", name)

def post(p, path, body):
    req = urllib.request.Request('http://127.0.0.1:%s%s' % (p, path), data=json.dumps(body).encode(),
                                 headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())

cols = ['age', 'workclass', 'fnlwgt', 'education', 'education_num', 'marital_status', 'occupation',
        'relationship', 'race', 'gender', 'capital_gain', 'capital_loss', 'hours_per_week',
        'native_country', 'income_bracket']
num = {'age', 'fnlwgt', 'education_num', 'capital_gain', 'capital_loss', 'hours_per_week'}
rows = []
for line in open(shared + '/datasets/census/adult.test.csv'):
    parts = [x.strip() for x in line.split(',')]
    if len(parts) != 15: continue
    rows.append({c: (float(v) if c in num else v) for c, v in zip(cols, parts) if c != 'income_bracket'})
    if len(rows) == 400: break
# requests of 1-3 examples
reqs, k = [], 0
while k < len(rows):
    n = 1 + (k // 7) % 3
    reqs.append(rows[k:k + n]); k += n
path = '/v1/models/census:classify'
ref = [post(ref_port, path, {'examples': r}) for r in reqs]
check("reference answers", all(c == 200 for c, _ in ref))

got = [None] * len(reqs)
def worker(t):
    for i in range(t, len(reqs), 16):
        got[i] = post(port, path, {'examples': reqs[i]})
ths = [threading.Thread(target=worker, args=(t,)) for t in range(16)]
for t in ths: t.start()
for t in ths: t.join()
def close(a, b):
    ra, rb = a[1]['results'], b[1]['results']
    if len(ra) != len(rb): return False
    for x, y in zip(ra, rb):
        for (la, sa), (lb, sb) in zip(x, y):
            if la != lb or abs(sa - sb) > 1e-4: return False
    return True
bad = [i for i in range(len(reqs)) if got[i][0] != 200 or not close(got[i], ref[i])]
check("batched census classify equals unbatched (%d requests, %d differ)" % (len(reqs), len(bad)), not bad)
for i in bad[:3]: print("  request", reqs[i], "batched", got[i], "unbatched", ref[i])

# gRPC Predict on half_plus_two from 8 threads: exact answers
ch = grpc.insecure_channel('127.0.0.1:' + gport)
Predict = ch.unary_unary('/tensorflow.serving.PredictionService/Predict',
    request_serializer=predict_pb2.PredictRequest.SerializeToString,
    response_deserializer=predict_pb2.PredictResponse.FromString)
errs = []
def gworker(t):
    for i in range(40):
        n = 1 + (t + i) % 4
        xs = [float(t * 1000 + i * 10 + j) for j in range(n)]
        r = predict_pb2.PredictRequest(); r.model_spec.name = 'half'
        r.inputs['x'].dtype = types_pb2.DT_FLOAT
        r.inputs['x'].tensor_shape.dim.add().size = n
        r.inputs['x'].float_val.extend(xs)
        try:
            out = Predict(r, timeout=30).outputs['y']
            if list(out.float_val) != [0.5 * x + 2 for x in xs]: errs.append((xs, list(out.float_val)))
        except grpc.RpcError as e:
            errs.append(str(e))
ths = [threading.Thread(target=gworker, args=(t,)) for t in range(8)]
for t in ths: t.start()
for t in ths: t.join()
check("batched gRPC predict exact (%d errors)" % len(errs), not errs)
r = predict_pb2.PredictRequest(); r.model_spec.name = 'half'
r.inputs['x'].dtype = types_pb2.DT_FLOAT
r.inputs['x'].tensor_shape.dim.add().size = 33
r.inputs['x'].float_val.extend([1.0] * 33)
try:
    Predict(r); check("gRPC oversize refused", False)
except grpc.RpcError as e:
    check("gRPC oversize INVALID_ARGUMENT", e.code() == grpc.StatusCode.INVALID_ARGUMENT and
          e.details() == 'Task size 33 is larger than maximum input batch size 32')

# a bad example shares a batch with good ones: only it fails
good = {'examples': rows[:2]}
badex = dict(rows[0]); badex['age'] = 'not a number'
res = {}
def send(name, body): res[name] = post(port, path, body)
b = threading.Barrier(3)
def go(name, body):
    b.wait(); send(name, body)
ths = [threading.Thread(target=go, args=('g1', good)), threading.Thread(target=go, args=('bad', {'examples': [badex]})),
       threading.Thread(target=go, args=('g2', good))]
for t in ths: t.start()
for t in ths: t.join()
refg = post(ref_port, path, good)
check("good requests beside a bad one succeed", res['g1'][0] == 200 and res['g2'][0] == 200 and
      close(res['g1'], refg) and close(res['g2'], refg))
check("bad example fails alone with 400", res['bad'][0] == 400 and 'error' in res['bad'][1])

# metrics: batches held more than one request
m = urllib.request.urlopen('http://127.0.0.1:%s/metrics' % port).read().decode()
vals = {}
for line in m.splitlines():
    if line.startswith(':tensorflow:serving:batching_session:input_batch_size_'):
        k, v = line.rsplit(' ', 1); vals[k] = float(v)
cnt = vals.get(':tensorflow:serving:batching_session:input_batch_size_count', 0)
tot = vals.get(':tensorflow:serving:batching_session:input_batch_size_sum', 0)
check("batches formed (%d rows in %d batches)" % (tot, cnt), cnt > 0 and tot / cnt > 1.5)
check("per-model batch metric", ':tensord:batching:batch_size_count{model_name="census",signature="serving_default"}' in m)
check("queuing latency metric", ':tensorflow:serving:batching_session:queuing_latency_bucket{thread_pool_name="batch_threads"' in m)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF
rc=$?
cat "$WORK/py.out"
check "batched vs unbatched (python)" [ "$rc" = 0 ]
stop_tensord
kill "$REF_PID" 2>/dev/null

# ---- 3: per-model parameters and the error paths ---------------------------------
for m in slow pad var plain half2; do
    mkdir -p "$WORK/models/$m"
    cp -r "$HALF/00000123" "$WORK/models/$m/1"
done
cat > "$WORK/models/slow/1/batching_params.pbtxt" <<EOF
max_batch_size { value: 4 }
batch_timeout_micros { value: 3000000 }
max_enqueued_batches { value: 1 }
EOF
cat > "$WORK/models/pad/1/batching_params.pbtxt" <<EOF
max_batch_size { value: 8 }
allowed_batch_sizes: 2 allowed_batch_sizes: 4 allowed_batch_sizes: 8
EOF
cat > "$WORK/models/var/1/batching_params.pbtxt" <<EOF
max_batch_size { value: 2 }
batch_timeout_micros { value: 2000000 }
pad_variable_length_inputs: true
EOF
cp "$WORK/models/pad/1/batching_params.pbtxt" "$WORK/models/half2/1/"
cat > "$WORK/models2.config" <<EOF
model_config_list {
  config { name: 'slow' base_path: '$WORK/models/slow' model_platform: 'tensorflow' }
  config { name: 'pad' base_path: '$WORK/models/pad' model_platform: 'tensorflow' }
  config { name: 'var' base_path: '$WORK/models/var' model_platform: 'tensorflow' }
  config { name: 'plain' base_path: '$WORK/models/plain' model_platform: 'tensorflow' }
  config { name: 'half2' base_path: '$WORK/models/half2' model_platform: 'tensorflow' }
}
EOF
start_tensord --model_config_file="$WORK/models2.config" --enable_batching \
    --enable_per_model_batching_parameters --rest_api_timeout_in_ms=1000 \
    --file_system_poll_wait_seconds=1 \
    --monitoring_config_file="$WORK/monitoring.config" || { summary; exit 1; }

# a version with a bad batching_params.pbtxt is refused; version 1 keeps serving
cp -r "$HALF/00000123" "$WORK/models/half2/.tmp2"
printf 'max_batch_size { value: 8 }\nallowed_batch_sizes: 4\n' > "$WORK/models/half2/.tmp2/batching_params.pbtxt"
mv "$WORK/models/half2/.tmp2" "$WORK/models/half2/2"

"$PY" - "$REST_PORT" <<'EOF' > "$WORK/py2.out" 2>&1
import sys, json, threading, time, urllib.request, urllib.error
port = sys.argv[1]
passed = failed = 0
def check(name, cond):
    global passed, failed
    if cond: passed += 1
    else:
        failed += 1; print("FAIL:", name)
def post(model, x):
    req = urllib.request.Request('http://127.0.0.1:%s/v1/models/%s:predict' % (port, model),
                                 data=json.dumps({'instances': x}).encode())
    t0 = time.time()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read()), time.time() - t0
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), time.time() - t0

# queue full: A (3 rows) opens a batch that waits up to 3 s; B (2 rows) does not
# fit, closes A's batch and finds the queue (max_enqueued_batches 1) full.
res = {}
ta = threading.Thread(target=lambda: res.__setitem__('a', post('slow', [1.0, 2.0, 3.0])))
ta.start(); time.sleep(0.3)
res['b'] = post('slow', [4.0, 5.0])
ta.join()
check("queue full is 503", res['b'][0] == 503)
check("queue full wording", res['b'][1].get('error') == 'The batch scheduling queue to which this task was submitted is full')
check("A answered once its batch closed %r" % (res['a'],), res['a'][0] == 200 and res['a'][1]['predictions'] == [2.5, 3.0, 3.5] and res['a'][2] < 1.0)
c, body, _ = post('slow', [1.0] * 5)
check("oversize is 400", c == 400 and body.get('error') == 'Task size 5 is larger than maximum input batch size 4')
c, body, dt = post('slow', [1.0])
check("deadline while queued is 504 (%d, %.2fs)" % (c, dt), c == 504 and dt < 2.5)

# allowed_batch_sizes: 3 rows run as 4
c, body, _ = post('pad', [1.0, 2.0, 3.0])
check("padded batch answers 3 rows", c == 200 and body['predictions'] == [2.5, 3.0, 3.5])
m = urllib.request.urlopen('http://127.0.0.1:%s/metrics' % port).read().decode()
check("padding metric", ':tensorflow:serving:batching_session:padding_size_sum{execution_batch_size="4"} 1' in m)

# pad_variable_length_inputs: [[1,2]] and [[3,4,5]] share a batch of 2
res = {}
b = threading.Barrier(2)
def go(k, x):
    b.wait(); res[k] = post('var', x)
ths = [threading.Thread(target=go, args=('s', [[1.0, 2.0]])), threading.Thread(target=go, args=('l', [[3.0, 4.0, 5.0]]))]
for t in ths: t.start()
for t in ths: t.join()
check("short input padded with its first element %r" % (res,), res['s'][0] == 200 and res['s'][1]['predictions'] == [[2.5, 3.0, 2.5]])
check("long input unchanged", res['l'][0] == 200 and res['l'][1]['predictions'] == [[3.5, 4.0, 4.5]])

# a model without batching_params.pbtxt is served unbatched
c, body, dt = post('plain', [1.0])
check("unbatched model", c == 200 and body['predictions'] == [2.5] and dt < 0.5)

# a version with a bad batching_params.pbtxt is refused, version 1 keeps serving
deadline = time.time() + 20
st = None
while time.time() < deadline:
    st = json.loads(urllib.request.urlopen('http://127.0.0.1:%s/v1/models/half2' % port).read())
    v2 = [v for v in st['model_version_status'] if v['version'] == '2']
    if v2 and v2[0]['state'] == 'END': break
    time.sleep(0.2)
v2 = [v for v in st['model_version_status'] if v['version'] == '2']
check("bad batching_params.pbtxt refuses the version", v2 and v2[0]['state'] == 'END' and
      'final entry in allowed_batch_sizes must equal max_batch_size' in v2[0]['status']['error_message'])
c, body, _ = post('half2', [1.0])
check("old version still serves", c == 200 and body['predictions'] == [2.5])
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF
rc=$?
cat "$WORK/py2.out"
check "per-model batching (python)" [ "$rc" = 0 ]
stop_tensord
check "SIGTERM exits 0 with batching" [ "$STOP_RC" = 0 ]

# ---- 4: start-up errors -----------------------------------------------------------
"$TENSORD" --port="$(free_port)" --rest_api_port=0 --model_name=half --model_base_path="$HALF" \
    --batching_parameters_file="$WORK/batching.txt" >"$WORK/err1" 2>&1
rc=$?
check "params file without --enable_batching fails" [ "$rc" != 0 ]
check "its message" contains "$WORK/err1" \
    "server_options.batching_parameters_file is set without setting server_options.enable_batching to true."
printf 'max_batch_size { value: 8 }\nallowed_batch_sizes: 8 allowed_batch_sizes: 4\n' > "$WORK/bad.txt"
"$TENSORD" --port="$(free_port)" --rest_api_port=0 --model_name=half --model_base_path="$HALF" \
    --enable_batching --batching_parameters_file="$WORK/bad.txt" >"$WORK/err2" 2>&1
rc=$?
check "bad parameters fail start-up" [ "$rc" != 0 ]
check "bad parameters message" contains "$WORK/err2" "allowed_batch_sizes entries must be monotonically increasing"
printf 'max_batch_size { valu: 8 }\n' > "$WORK/bad2.txt"
"$TENSORD" --port="$(free_port)" --rest_api_port=0 --model_name=half --model_base_path="$HALF" \
    --enable_batching --batching_parameters_file="$WORK/bad2.txt" >"$WORK/err3" 2>&1
check "syntax error names the message type" contains "$WORK/err3" \
    "Error parsing text-format tensorflow.serving.BatchingParameters: 1:"
summary
