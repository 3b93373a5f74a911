#!/bin/sh
# test_train_embedded.sh - training jobs embedded in tensord: a model config
# whose models carry a training_job (the bundled census trainer config with
# absolute data paths and a temporary model_dir).
#   census       manual_start, one round: 403s without/with a wrong admin
#                token, :start with the right one, state done with eval
#                metrics, its version served (classify on that version).
#   census_live  continuous (interval_secs 1): under a concurrent REST load
#                on the model, at least two more rounds export two more
#                versions that are hot-swapped in with zero failed requests;
#                :stop / :start.
#   census_long  a long run: progress while running, :stop saves a
#                checkpoint, :start resumes from it, SIGTERM stops it with a
#                checkpoint and tensord exits 0.
# A restart with the finished census job exports nothing new.
# Also: 404 for an unknown model and for a model without a job, a temp-*
# directory in a base path is not a version, /readyz fails while a job has
# not exported yet, Prometheus training metrics.
set -u
. "$(dirname "$0")/lib.sh"

DATA="$TSD_SOURCE_DIR/datasets/census"
TOKEN=s3cret-token
# trainer_config NAME MAX_STEPS: a copy of the census config for job NAME
trainer_config() {
    mkdir -p "$WORK/$1"
    sed -e "s#\"[^\"]*/datasets/census/#\"$DATA/#" \
        -e "s#model_dir: \"model_dir\"#model_dir: \"$WORK/$1/model_dir\"#" \
        -e "s#num_epochs: 2#num_epochs: 2\n  max_steps: $2#" \
        "$TSD_SOURCE_DIR/models/census_dnn/trainer.config" > "$WORK/$1/trainer.config"
}
trainer_config census 2000
trainer_config census_live 200
trainer_config census_long 100000000
check "config points at the data" contains "$WORK/census/trainer.config" "$DATA/adult.data.csv"
check "config has max_steps" contains "$WORK/census/trainer.config" "max_steps: 2000"
# an export in progress is not a version
mkdir -p "$WORK/census/serving/temp-1"
cat > "$WORK/models.config" <<EOF
model_config_list {
  config {
    name: 'census' base_path: '$WORK/census/serving' model_platform: 'tensorflow'
    training_job { config: 'census/trainer.config' manual_start: true }
  }
  config {
    name: 'census_live' base_path: '$WORK/census_live/serving' model_platform: 'tensorflow'
    training_job { config: '$WORK/census_live/trainer.config' interval_secs: 1 }
  }
  config {
    name: 'census_long' base_path: '$WORK/census_long/serving' model_platform: 'tensorflow'
    training_job { config: 'census_long/trainer.config' manual_start: true }
  }
  config {
    name: 'half' base_path: '$TSD_SHARED_DIR/models/tfserving/saved_model_half_plus_two_cpu'
    model_platform: 'tensorflow'
  }
}
EOF
cat > "$WORK/monitoring.config" <<EOF
prometheus_config { enable: true path: "/metrics" }
EOF
start_tensord --model_config_file="$WORK/models.config" --file_system_poll_wait_seconds=1 \
    --monitoring_config_file="$WORK/monitoring.config" \
    --training_admin_token="$TOKEN" || { summary; exit 1; }

# post_auth PATH TOKEN: POST with "Authorization: Bearer TOKEN" (no header
# when TOKEN is empty); sets HTTP_CODE, body in $WORK/body.
post_auth() {
    if [ -n "$2" ]; then
        HTTP_CODE=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST \
            -H "Authorization: Bearer $2" "http://127.0.0.1:$REST_PORT$1")
    else
        HTTP_CODE=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST \
            "http://127.0.0.1:$REST_PORT$1")
    fi
}
# wait_json PATH EXPR SECONDS: poll GET PATH until EXPR holds over the body.
wait_json() {
    i=0
    while [ $i -lt $(($3 * 10)) ]; do
        http GET "$1"
        if [ "$HTTP_CODE" = 200 ] && json_eq "$2"; then
            return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    echo "timed out waiting for $1: $2; last body:" >&2
    cat "$WORK/body" >&2
    echo >&2
    return 1
}

# ---- status, 404s and the admin token -----------------------------------------
http GET /readyz
check "not ready while a job has exported nothing" [ "$HTTP_CODE" = 503 ]
http GET /v1/training/census
check "status 200" [ "$HTTP_CODE" = 200 ]
check "manual job idle" json_eq 'b["state"] == "idle" and b["manual_start"] is True and b["rounds"] == 0 and b["last_version"] is None'
check "config resolved against the config file" json_eq 'b["config"] == "'"$WORK"'/census/trainer.config"'
http GET /v1/training/nosuch
check "unknown model 404" [ "$HTTP_CODE" = 404 ]
check "unknown model message" json_eq 'b == {"error": "Could not find model nosuch"}'
http GET /v1/training/half
check "model without a job 404" [ "$HTTP_CODE" = 404 ]
check "model without a job message" json_eq '"has no training job" in b["error"]'
http GET /v1/training
check "job list" json_eq '[j["model"] for j in b["jobs"]] == ["census", "census_live", "census_long"]'
http POST /v1/training/census:train ''
check "unknown verb 400" [ "$HTTP_CODE" = 400 ]
post_auth /v1/training/census:start ""
check "start without token 403" [ "$HTTP_CODE" = 403 ]
check "missing token message" json_eq '"missing admin token" in b["error"]'
post_auth /v1/training/census:start wrong
check "start with wrong token 403" [ "$HTTP_CODE" = 403 ]
check "wrong token message" json_eq 'b == {"error": "invalid admin token"}'
post_auth /v1/training/census:start "${TOKEN}x"
check "start with longer token 403" [ "$HTTP_CODE" = 403 ]
post_auth /v1/training/census:stop ""
check "stop without token 403" [ "$HTTP_CODE" = 403 ]
post_auth /v1/training/census:stop wrong
check "stop with wrong token 403" [ "$HTTP_CODE" = 403 ]
post_auth /v1/training/nosuch:start "$TOKEN"
check "start unknown model 404" [ "$HTTP_CODE" = 404 ]
http GET /v1/training/census
check "still idle after refused starts" json_eq 'b["state"] == "idle"'

# ---- one round: done, metrics, version served -------------------------------------
post_auth /v1/training/census:start "$TOKEN"
check "start with token 200" [ "$HTTP_CODE" = 200 ]
check "start answers running" json_eq 'b["state"] == "running"'
wait_json /v1/training/census 'b["state"] in ("done", "failed")' 120
check "one round done" json_eq 'b["state"] == "done" and b["phase"] == "done" and b["rounds"] == 1 and b["failures"] == 0 and b["last_error"] is None'
check "trained to max_steps" json_eq 'b["step"] == 2000 and b["max_steps"] == 2000'
check "eval accuracy" json_eq 'b["metrics"]["accuracy"] > 0.75 and b["metrics"]["global_step"] == 2000 and 0.5 < b["metrics"]["auc"] <= 1'
check "export dir is a version" json_eq 'b["last_export_dir"] == "'"$WORK"'/census/serving/%d" % b["last_version"]'
V=$("$PY" -c "import json; print(json.load(open('$WORK/body'))['last_version'])")
check "version dir written" [ -f "$WORK/census/serving/$V/saved_model.pb" ]
check "no temp dir left but ours" [ "$(ls "$WORK/census/serving" | grep -c temp-)" = 1 ]
wait_json /v1/models/census 'any(v["version"] == "'"$V"'" and v["state"] == "AVAILABLE" for v in b["model_version_status"])' 30
check "version loaded by polling" [ "$HTTP_CODE" = 200 ]
check "temp dir is not a version" json_eq 'all(v["version"] == "'"$V"'" for v in b["model_version_status"])'
EX='{"examples": [{"age": 52.0, "education_num": 16.0, "capital_gain": 15024.0, "capital_loss": 0.0, "hours_per_week": 60.0}, {"age": 19.0, "education_num": 9.0, "capital_gain": 0.0, "capital_loss": 0.0, "hours_per_week": 20.0}]}'
http POST "/v1/models/census/versions/$V:classify" "$EX"
check "classify on the trained version 200" [ "$HTTP_CODE" = 200 ]
check "classify answers scores" json_eq 'len(b["results"]) == 2 and all(abs(r[0][1] + r[1][1] - 1) < 1e-5 for r in b["results"])'
check "rich beats young" json_eq 'b["results"][0][1][1] > b["results"][1][1][1]'
post_auth /v1/training/census:stop "$TOKEN"
check "stop a finished job 200" [ "$HTTP_CODE" = 200 ]
check "finished job stays done" json_eq 'b["state"] == "done"'

# ---- continuous rounds under load: zero failed requests ---------------------------
wait_json /v1/models/census_live 'any(v["state"] == "AVAILABLE" for v in b["model_version_status"])' 60
check "first continuous version served" [ "$HTTP_CODE" = 200 ]
http GET /v1/training/census_live
R0=$("$PY" -c "import json; print(json.load(open('$WORK/body'))['rounds'])")
"$PY" - "$REST_PORT" "$WORK/stats" "$WORK/stop_load" "$EX" <<'EOF' &
import http.client, json, os, sys, threading, time
port, out, stop_file, body = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ok = bad = 0
lock = threading.Lock()
def worker():
    global ok, bad
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    n_ok = n_bad = 0
    deadline = time.time() + 120
    while not os.path.exists(stop_file) and time.time() < deadline:
        try:
            c.request('POST', '/v1/models/census_live:classify', body=body)
            r = c.getresponse()
            res = json.loads(r.read())
            if r.status == 200 and len(res["results"]) == 2 and \
                    all(abs(x[0][1] + x[1][1] - 1) < 1e-5 for x in res["results"]):
                n_ok += 1
            else:
                n_bad += 1
                print('bad answer', r.status, res, file=sys.stderr)
        except Exception as e:
            n_bad += 1
            print('error', e, file=sys.stderr)
            c = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    with lock:
        ok += n_ok
        bad += n_bad
ts = [threading.Thread(target=worker) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
open(out, 'w').write('%d %d\n' % (ok, bad))
EOF
LOAD=$!
# two more rounds, each a new version, both loaded while the load runs
wait_json /v1/training/census_live 'b["rounds"] >= '"$R0"' + 2' 90
check "two more rounds" [ "$HTTP_CODE" = 200 ]
V2=$("$PY" -c "import json; print(json.load(open('$WORK/body'))['last_version'])")
wait_json /v1/models/census_live 'any(v["version"] == "'"$V2"'" and v["state"] == "AVAILABLE" for v in b["model_version_status"])' 30
check "latest continuous version served" [ "$HTTP_CODE" = 200 ]
sleep 1
touch "$WORK/stop_load"
wait "$LOAD"
read -r OKS BADS < "$WORK/stats"
echo "requests during continuous training: $OKS ok, $BADS failed"
check "requests served during training" [ "$OKS" -gt 50 ]
check "zero failed requests" [ "$BADS" = 0 ]
http GET /v1/models/census_live
check "older versions swapped out" json_eq 'sum(v["state"] == "END" for v in b["model_version_status"]) >= 2'
check "at least three versions exported" [ "$(ls "$WORK/census_live/serving" | grep -c '^[0-9][0-9]*$')" -ge 3 ]
http GET /v1/training/census_live
check "continuous job running" json_eq 'b["state"] == "running" and b["interval_secs"] == 1 and b["failures"] == 0'
check "each round trains more steps" json_eq 'b["step"] >= 200 * b["rounds"]'
post_auth /v1/training/census_live:stop "$TOKEN"
check "stop continuous 200" [ "$HTTP_CODE" = 200 ]
check "stopped continuous job idle" json_eq 'b["state"] == "idle" and b["phase"] == "stopped"'
R1=$("$PY" -c "import json; print(json.load(open('$WORK/body'))['rounds'])")
sleep 2.5
http GET /v1/training/census_live
check "no rounds after stop" json_eq 'b["rounds"] == '"$R1"' and b["state"] == "idle"'
post_auth /v1/training/census_live:start "$TOKEN"
check "restart continuous 200" [ "$HTTP_CODE" = 200 ]
wait_json /v1/training/census_live 'b["rounds"] > '"$R1" 60
check "rounds resume after start" [ "$HTTP_CODE" = 200 ]
post_auth /v1/training/census_live:stop "$TOKEN"
check "stop continuous again 200" [ "$HTTP_CODE" = 200 ]

# ---- a long run: progress, stop with checkpoint, resume ---------------------------
post_auth /v1/training/census_long:start "$TOKEN"
check "start long 200" [ "$HTTP_CODE" = 200 ]
post_auth /v1/training/census_long:start "$TOKEN"
check "start while running 409" [ "$HTTP_CODE" = 409 ]
check "already running message" json_eq '"already running" in b["error"]'
wait_json /v1/training/census_long 'b["phase"] == "training" and b["step"] > 0' 60
S1=$("$PY" -c "import json; print(json.load(open('$WORK/body'))['step'])")
wait_json /v1/training/census_long 'b["step"] > '"$S1" 60
check "step advances while running" [ "$HTTP_CODE" = 200 ]
check "progress fields" json_eq 'b["state"] == "running" and b["max_steps"] == 100000000 and b["epoch"] >= 1 and b["loss"] > 0 and b["examples_per_sec"] > 0'
post_auth /v1/training/census_long:stop "$TOKEN"
check "stop long 200" [ "$HTTP_CODE" = 200 ]
check "stopped long job" json_eq 'b["state"] == "idle" and b["phase"] == "stopped" and b["rounds"] == 0 and b["last_error"] is None'
S2=$("$PY" -c "import json; print(json.load(open('$WORK/body'))['step'])")
check "checkpoint at the stopped step" grep -q "^model_checkpoint_path: \"model.ckpt-$S2\"" "$WORK/census_long/model_dir/checkpoint"
check "stopped run exported nothing" [ "$(ls "$WORK/census_long/serving" 2>/dev/null | grep -c '^[0-9]')" = 0 ]
post_auth /v1/training/census_long:start "$TOKEN"
wait_json /v1/training/census_long 'b["phase"] == "training" and b["step"] > '"$S2" 60
check "resumes from the checkpoint" json_eq 'b["state"] == "running"'

# ---- metrics ------------------------------------------------------------------
http GET /metrics
check "rounds counter" contains "$WORK/body" ':tensord:training:rounds_total{model="census"} 1'
check "global step gauge" contains "$WORK/body" ':tensord:training:global_step{model="census"} 2000'
check "failures counter" contains "$WORK/body" '# TYPE :tensord:training:failures_total counter'
check "running gauge" contains "$WORK/body" ':tensord:training:running{model="census_long"} 1'
check "eval metric gauge" grep -q '^:tensord:training:eval_metric{model="census",metric="accuracy"} 0\.[789]' "$WORK/body"

# ---- SIGTERM stops the running job with a checkpoint ------------------------------
stop_tensord
check "exit 0 with a job running" [ "$STOP_RC" = 0 ]
check "job stopped on SIGTERM" contains "$WORK/tensord.log" "training job census_long: training stopped at global_step"
S3=$(sed -n 's/.*training job census_long: training stopped at global_step \([0-9]*\).*/\1/p' "$WORK/tensord.log" | tail -1)
check "SIGTERM checkpoint written" grep -q "^model_checkpoint_path: \"model.ckpt-$S3\"" "$WORK/census_long/model_dir/checkpoint"
check "SIGTERM checkpoint beyond the first stop" [ "${S3:-0}" -gt "$S2" ]

# ---- a restart: the finished one-round job does not export the same weights again
NV=$(ls "$WORK/census/serving" | grep -c '^[0-9][0-9]*$')
cat > "$WORK/models2.config" <<EOF
model_config_list {
  config {
    name: 'census' base_path: '$WORK/census/serving' model_platform: 'tensorflow'
    training_job { config: '$WORK/census/trainer.config' }
  }
}
EOF
printf '%s\n' "$TOKEN" > "$WORK/token"
start_tensord --model_config_file="$WORK/models2.config" --file_system_poll_wait_seconds=1 \
    --training_admin_token_file="$WORK/token" || { summary; exit 1; }
wait_json /v1/training/census 'b["state"] == "done"' 30
check "restarted job: done" json_eq 'b["state"] == "done"'
check "no new version for the same weights" [ "$(ls "$WORK/census/serving" | grep -c '^[0-9][0-9]*$')" = "$NV" ]
check "logged as complete" contains "$WORK/tensord.log" "training was already complete"
http GET /readyz
check "ready on the existing version" [ "$HTTP_CODE" = 200 ]
# the token read from --training_admin_token_file
post_auth /v1/training/census:start wrong
check "token file: a wrong token is 403" [ "$HTTP_CODE" = 403 ]
post_auth /v1/training/census:start "$TOKEN"
check "token file: its token starts the job" [ "$HTTP_CODE" = 200 ]
wait_json /v1/training/census 'b["state"] == "done" and b["rounds"] >= 2' 30
check "the started round finished" json_eq 'b["rounds"] >= 2'
stop_tensord
"$TSD_BINARY_DIR/server/tensord" --model_name=x --model_base_path="$WORK" \
    --training_admin_token=a --training_admin_token_file="$WORK/token" >"$WORK/both.log" 2>&1
check "token and token file together are refused" contains "$WORK/both.log" "not both"
summary
