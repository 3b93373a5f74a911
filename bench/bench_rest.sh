#!/bin/sh
# bench_rest.sh - REST throughput and latency with wrk, in one run:
#   1. raw_mhd: a minimal libmicrohttpd responder (the baseline),
#   2. tensord predict on half_plus_two,
#   3. tensord classify on census wide&deep (one tf.Example per request),
# all with the same wrk settings and server thread count; then tensord's RSS
# before, during and after a version swap of the census model.
# usage: bench/bench_rest.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$here/build"}
secs=${2:-5}
conns=${3:-16}
threads=2
shared=${TSD_SHARED_DIR:-"$here/../shared"}
command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
work=$(mktemp -d /tmp/tsd-bench-XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; rm -rf "$work"' EXIT

port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { i=0; while ! curl -s -o /dev/null "http://127.0.0.1:$1/$2"; do sleep 0.1; i=$((i+1)); [ $i -lt 600 ] || exit 1; done; }

# run_wrk NAME URL BODY -> one markdown row
run_wrk() {
    cat > "$work/post.lua" <<EOF
wrk.method = "POST"
wrk.body = [==[$3]==]
wrk.headers["Content-Type"] = "application/json"
EOF
    wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$work/post.lua" "$2" > "$work/wrk.out"
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
    p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.out")
    p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.out")
    errs=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.out")
    echo "$1|$rps|$p50|$p99|${errs:-0}"
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

mkdir -p "$work/half" "$work/census"
cp -r "$shared/models/tfserving/saved_model_half_plus_two_cpu/00000123" "$work/half/1"
cp -r "$shared/models/estimator/census_wide_deep/1527087570" "$work/census/1"
cat > "$work/models.config" <<EOF
model_config_list {
  config { name: 'half' base_path: '$work/half' model_platform: 'tensorflow' }
  config { name: 'census' base_path: '$work/census' model_platform: 'tensorflow' }
}
EOF

rp=$(port)
"$build/bench/raw_mhd" "$rp" "$threads" & pids="$pids $!"
tp=$(port)
"$build/server/tensord" --port="$(port)" --rest_api_port="$tp" --rest_api_num_threads="$threads" \
    --model_config_file="$work/models.config" --file_system_poll_wait_seconds=1 \
    2>"$work/tensord.log" & tpid=$!; pids="$pids $tpid"
sleep 0.3
wait_up "$tp" healthz

half_body='{"instances": [[1.0]]}'
census_body='{"examples": [{"age": 25.0, "capital_gain": 0.0, "capital_loss": 0.0, "education": "11th", "education_num": 7.0, "gender": "Male", "hours_per_week": 40.0, "native_country": "United-States", "occupation": "Machine-op-inspct", "relationship": "Own-child", "workclass": "Private"}]}'

echo "wrk -t1 -c$conns -d${secs}s, $threads server threads, $(nproc) cores"
echo
echo "| target | requests/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
raw=$(run_wrk "raw libmicrohttpd responder" "http://127.0.0.1:$rp/v1/models/half:predict" "$half_body")
echo "| $(echo "$raw" | tr '|' '|' | sed 's/|/ | /g') |"
half=$(run_wrk "tensord half_plus_two predict" "http://127.0.0.1:$tp/v1/models/half:predict" "$half_body")
echo "| $(echo "$half" | sed 's/|/ | /g') |"
cen=$(run_wrk "tensord census classify (1 example)" "http://127.0.0.1:$tp/v1/models/census:classify" "$census_body")
echo "| $(echo "$cen" | sed 's/|/ | /g') |"
r1=$(echo "$raw" | cut -d'|' -f2)
r2=$(echo "$half" | cut -d'|' -f2)
echo
echo "half_plus_two predict / raw responder = $(echo "$r2 $r1" | awk '{printf "%.2f", $1/$2}')"

# RSS around a census version swap
before=$(rss_kb "$tpid")
cp -r "$shared/models/estimator/census_wide_deep/1527087570" "$work/census/tmp-2"
mv "$work/census/tmp-2" "$work/census/2"
peak=$before
i=0
while [ $i -lt 100 ]; do
    r=$(rss_kb "$tpid"); [ "$r" -gt "$peak" ] && peak=$r
    if grep -q "Unloading servable version {name: census version: 1}" "$work/tensord.log"; then break; fi
    sleep 0.05; i=$((i+1))
done
sleep 1
after=$(rss_kb "$tpid")
echo
echo "census swap RSS: before ${before} kB, peak during ${peak} kB, after ${after} kB"
