#!/bin/sh
# bench_batch.sh - server-side batching: requests/s and p50/p99 latency for
# census wide&deep (classify, one tf.Example per request) and a dense 3x512
# ReLU MLP (predict, one 512-float row per request), over REST and gRPC, at
# 1, 8 and 64 concurrent clients, on tensord without batching (the baseline)
# and with --enable_batching, all in one run with one load generator
# (h2load: HTTP/2 gRPC framing, --h1 for REST JSON). Prints a markdown table
# and, per row, the batched/unbatched throughput ratio.
#
# usage: bench/bench_batch.sh [BUILD_DIR] [SECONDS]    (defaults: build, 3)
# env:   TSD_SHARED_DIR (default: ../shared next to the source tree)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$here/build"}
secs=${2:-3}
shared=$(cd "${TSD_SHARED_DIR:-"$here/../shared"}" && pwd)
command -v h2load >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq nghttp2-client >/dev/null; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
work=$(mktemp -d /tmp/tsd-bench-XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$work"
    return 0
}
trap cleanup EXIT

port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- models and request bodies ----------------------------------------------------
mkdir -p "$work/py" "$work/models/mlp"
protoc -I"$here/proto" --python_out="$work/py" \
    $(cd "$here/proto" && find . -name '*.proto' ! -path './google/*' | sed 's#^\./##')
"$PY" "$here/bench/mlp_model.py" "$work/py" "$work/models/mlp/1"
cat > "$work/models.config" <<EOF
model_config_list {
  config { name: 'census' base_path: '$shared/models/estimator/census_wide_deep' model_platform: 'tensorflow' }
  config { name: 'mlp' base_path: '$work/models/mlp' model_platform: 'tensorflow' }
}
EOF
PYTHONPATH="$work/py" "$PY" - "$work" <<'EOF'
import json, struct, sys
from tensorflow_serving.apis import predict_pb2, classification_pb2
from tensorflow.core.framework import types_pb2
w = sys.argv[1]
def grpc_body(name, msg):
    b = msg.SerializeToString()
    open('%s/%s.grpc' % (w, name), 'wb').write(b'\x00' + struct.pack('>I', len(b)) + b)
row = [((i * 37) % 101) / 101.0 for i in range(512)]
r = predict_pb2.PredictRequest(); r.model_spec.name = 'mlp'
t = r.inputs['x']; t.dtype = types_pb2.DT_FLOAT
t.tensor_shape.dim.add().size = 1; t.tensor_shape.dim.add().size = 512
t.tensor_content = struct.pack('<512f', *row)
grpc_body('mlp', r)
open(w + '/mlp.json', 'w').write(json.dumps({'instances': [row]}))
# floats, not ints: JSON integers become int64 features, which census refuses
ex = dict(age=35.0, capital_gain=0.0, capital_loss=0.0, education='Masters', education_num=14.0,
          gender='Female', hours_per_week=29.0, native_country='United-States',
          occupation='Prof-specialty', relationship='Husband', workclass='Private')
c = classification_pb2.ClassificationRequest(); c.model_spec.name = 'census'
e = c.input.example_list.examples.add()
for k, v in ex.items():
    f = e.features.feature[k]
    if isinstance(v, str): f.bytes_list.value.append(v.encode())
    else: f.float_list.value.append(float(v))
grpc_body('census', c)
open(w + '/census.json', 'w').write(json.dumps({'examples': [ex]}))
EOF
printf 'prometheus_config { enable: true path: "/metrics" }\n' > "$work/monitoring.config"
cat > "$work/batching.txt" <<EOF
max_batch_size { value: 64 }
batch_timeout_micros { value: ${TSD_BATCH_TIMEOUT_MICROS:-0} }
max_enqueued_batches { value: 64 }
num_batch_threads { value: $(nproc) }
EOF

# ---- servers and load ------------------------------------------------------------------
start() { # start MODE: none | batch
    gp=$(port); rp=$(port)
    extra=""
    [ "$1" = batch ] && extra="--enable_batching --batching_parameters_file=$work/batching.txt
        --monitoring_config_file=$work/monitoring.config"
    # shellcheck disable=SC2086
    "$build/server/tensord" --port="$gp" --rest_api_port="$rp" \
        --model_config_file="$work/models.config" $extra 2>"$work/log.$1" &
    pid=$!
    i=0
    until curl -s -o /dev/null "http://127.0.0.1:$rp/readyz"; do
        kill -0 "$pid" 2>/dev/null && [ $i -lt 600 ] || { cat "$work/log.$1" >&2; exit 1; }
        sleep 0.1; i=$((i + 1))
    done
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

# load KEY CLIENTS ARGS... -> "rps p50 p99 ok" into $work/KEY
load() {
    key=$1; c=$2; shift 2
    rm -f "$work/lat.log"
    h2load -D "$secs" --warm-up-time=1 -c "$c" -t 1 --log-file="$work/lat.log" "$@" \
        > "$work/h2.out" 2>&1 || true
    rps=$(awk '/^finished in/ {for (i=1;i<=NF;i++) if ($i ~ /req\/s/) print $(i-1)}' "$work/h2.out")
    ok=$(awk '/^status codes:/ {print $3}' "$work/h2.out")
    pct=$(sort -n -k3 "$work/lat.log" | awk '{a[NR]=$3} END {if (NR) printf "%.2f %.2f", a[int(NR*0.5)+1]/1000, a[int(NR*0.99)]/1000; else print "- -"}')
    echo "${rps:-0} $pct ${ok:-0}" > "$work/$key"
}

run_all() { # run_all MODE
    for m in mlp census; do
        if [ $m = mlp ]; then
            gpath=/tensorflow.serving.PredictionService/Predict; rpath=/v1/models/mlp:predict
        else
            gpath=/tensorflow.serving.PredictionService/Classify; rpath=/v1/models/census:classify
        fi
        for c in 1 8 64; do
            load "$1.$m.grpc.$c" "$c" -H 'content-type: application/grpc' -H 'te: trailers' \
                -d "$work/$m.grpc" "http://127.0.0.1:$gp$gpath"
            load "$1.$m.rest.$c" "$c" --h1 -H 'content-type: application/json' \
                -d "$work/$m.json" "http://127.0.0.1:$rp$rpath"
        done
    done
}

start none
run_all none
stop
start batch
run_all batch
curl -s "http://127.0.0.1:$rp/metrics" > "$work/metrics"
stop

echo "h2load -D $secs -c C -t 1; $(nproc) cores; batching: max_batch_size 64," \
    "batch_timeout_micros ${TSD_BATCH_TIMEOUT_MICROS:-0}, num_batch_threads $(nproc)"
echo
echo "| model | protocol | clients | unbatched req/s | p50 ms | p99 ms | batched req/s | p50 ms | p99 ms | batched/unbatched | 2xx (unbatched/batched) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for m in mlp census; do
    for t in grpc rest; do
        for c in 1 8 64; do
            read -r ur up50 up99 uok < "$work/none.$m.$t.$c"
            read -r br bp50 bp99 bok < "$work/batch.$m.$t.$c"
            ratio=$(awk -v a="$br" -v b="$ur" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}')
            echo "| $m | $t | $c | $ur | $up50 | $up99 | $br | $bp50 | $bp99 | $ratio | $uok/$bok |"
        done
    done
done
echo
for m in mlp census; do
    awk -v m="$m" '
        index($0, ":tensord:batching:batch_size_sum{model_name=\"" m "\"") == 1 {s = $2}
        index($0, ":tensord:batching:batch_size_count{model_name=\"" m "\"") == 1 {c = $2}
        END {if (c) printf "%s: %d batches, mean batch %.1f rows (whole batched run)\n", m, c, s / c}' \
        "$work/metrics"
done
