#!/bin/sh
# test_train_kill.sh - `tensorctl train` survives kill -9. The bundled census
# config, made long (60 epochs at batch 64, a checkpoint every 50 steps,
# keep 3), is started and killed with SIGKILL at a random moment several
# times. After every kill:
#   - the `checkpoint` state file (if any) names bundles whose .index and
#     .data files both exist, never a temporary file, at most
#     keep_checkpoint_max of them, the newest last;
#   - bundles on disk that the state file does not list are only the one
#     being written at the kill (newer than the newest listed, at most one)
#     or ones whose deletion a kill interrupted (older than the oldest
#     listed, at most one per kill: retention writes the state file first,
#     then deletes, and like TensorFlow's Saver no later run deletes a
#     bundle the state file no longer lists);
#   - the checkpointed step never goes back;
#   - the next run restores that bundle: it prints "resuming from
#     global_step N" with N the step the state file names (a restore reads
#     every tensor of the bundle, so a torn bundle fails the run).
# Then one run is killed during export if the timing allows (optional: the
# export takes milliseconds), a run completes (final global_step, eval
# metrics, no torn export), and tensord serves the export over REST.
#
# env: TSD_KILL_SEED (random seed, printed), TSD_KILL_ROUNDS (default 6)
set -u
. "$(dirname "$0")/lib.sh"

rounds=${TSD_KILL_ROUNDS:-6}
seed=${TSD_KILL_SEED:-$(($(date +%s) % 100000))}
keep=3
epochs=60
batch=64
echo "kill rounds: $rounds, seed $seed (TSD_KILL_SEED=$seed reproduces the sleeps)"

cfg="$WORK/trainer.config"
cp "$TSD_SOURCE_DIR/models/census_dnn/trainer.config" "$cfg"
# the config's data paths are relative to its own directory
sed -i "s#\.\./\.\./datasets#$TSD_SOURCE_DIR/datasets#" "$cfg"
sed -i -e "s/num_epochs: [0-9]*/num_epochs: $epochs/" -e "s/batch_size: [0-9]*/batch_size: $batch/" \
    -e "s/keep_checkpoint_max: [0-9]*/keep_checkpoint_max: $keep\n  save_checkpoints_steps: 50\n  log_step_count_steps: 10/" "$cfg"
check "config rewritten" contains "$cfg" "save_checkpoints_steps: 50"
check "config rewritten (epochs)" contains "$cfg" "num_epochs: $epochs"
md="$WORK/model_dir"
exp="$WORK/export"
# the training set's rows (the CSV ends with an empty line), repeated for the
# epochs, then batched (as tf.data's repeat().batch()): the steps of a run
rows=$(grep -c . "$TSD_SOURCE_DIR/datasets/census/adult.data.csv")
max_steps=$(((rows * epochs + batch - 1) / batch))
echo "training: $rows rows, $max_steps steps"

# ckpt_step NAME: the global step in model.ckpt-N (any directory part dropped)
ckpt_step() { echo "${1##*/}" | sed -n 's/^model\.ckpt-\([0-9][0-9]*\)$/\1/p'; }

# state_field FIELD: the values of FIELD in the checkpoint state file, one a line
state_field() { sed -n "s/^$1: \"\(.*\)\"\$/\1/p" "$md/checkpoint"; }

# rand_sleep ROUND: a sleep in [0.1, 1.5) seconds from the seed and round
rand_sleep() {
    awk -v s="$seed" -v r="$1" 'BEGIN { srand(s); for (i = 0; i < r; i++) x = rand(); printf "%.2f", 0.1 + x * 1.4 }'
}

# verify_state LABEL: the checks on model_dir after a kill; sets STEP to the
# step the state file names ("" when there is no state file yet).
verify_state() {
    label=$1
    STEP=""
    if [ ! -f "$md/checkpoint" ]; then
        # no state file: no bundle may be complete-and-listed, nothing to resume
        return 0
    fi
    latest=$(state_field model_checkpoint_path)
    check "$label: state names a checkpoint" [ -n "$latest" ]
    latest=${latest##*/}
    case $latest in
    *tempstate* | *.tmp* | *temp*) fail "$label: state names a temporary file: $latest" ;;
    *) ok ;;
    esac
    STEP=$(ckpt_step "$latest")
    check "$label: latest is model.ckpt-N ($latest)" [ -n "$STEP" ]
    check "$label: $latest.index exists" [ -s "$md/$latest.index" ]
    check "$label: $latest.data-00000-of-00001 exists" [ -s "$md/$latest.data-00000-of-00001" ]
    listed=$(state_field all_model_checkpoint_paths | sed 's#.*/##')
    nlisted=$(echo "$listed" | grep -c .)
    check "$label: at most $keep checkpoints listed (got $nlisted)" [ "$nlisted" -le "$keep" ]
    check "$label: newest listed last" [ "$(echo "$listed" | tail -n 1)" = "$latest" ]
    oldest=""
    for p in $listed; do
        [ -n "$oldest" ] || oldest=$(ckpt_step "$p")
        case $p in *temp*) fail "$label: state lists a temporary file: $p" ;; esac
        check "$label: listed $p complete" [ -s "$md/$p.index" -a -s "$md/$p.data-00000-of-00001" ]
    done
    # bundles on disk (temporary files excluded) that the state does not list
    nidx=0
    newer=0
    older=0
    for f in "$md"/model.ckpt-*.index; do
        [ -e "$f" ] || continue
        nidx=$((nidx + 1))
        b=$(basename "$f" .index)
        if ! echo "$listed" | grep -qx "$b"; then
            s=$(ckpt_step "$b")
            if [ -n "$s" ] && [ "$s" -gt "${STEP:-0}" ]; then
                newer=$((newer + 1))
                echo "  ($label: unlisted $b: being written at the kill)"
            elif [ -n "$s" ] && [ "$s" -lt "${oldest:-0}" ]; then
                older=$((older + 1))
                echo "  ($label: unlisted $b: a kill interrupted its deletion; left behind)"
            else
                fail "$label: unlisted bundle $b between listed ones"
            fi
        fi
    done
    check "$label: at most one bundle newer than the state's (got $newer)" [ "$newer" -le 1 ]
    # a resumed run removes what earlier kills left, so only this kill's remains
    check "$label: at most one left-behind bundle (got $older)" [ "$older" -le 1 ]
    echo "  ($label: $nidx bundles on disk, $nlisted listed, keep_checkpoint_max $keep)"
    ntmp=0
    for f in "$md"/*tempstate*; do [ -e "$f" ] && ntmp=$((ntmp + 1)); done
    [ "$ntmp" = 0 ] || echo "  ($label: $ntmp leftover temporary file(s), not named in the state)"
    return 0
}

# wait_for FILE TEXT SECONDS PID: until FILE holds TEXT; 1 on timeout or if
# PID exits first.
wait_for() {
    n=0
    while [ "$n" -lt $(($3 * 100)) ]; do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        kill -0 "$4" 2>/dev/null || { grep -qF -- "$2" "$1" 2>/dev/null; return $?; }
        sleep 0.01
        n=$((n + 1))
    done
    return 1
}

prev=0
expect=""
killed=0
finished=0
r=1
while [ "$r" -le "$rounds" ]; do
    err="$WORK/err.$r"
    "$TENSORCTL" train --config "$cfg" >"$WORK/out.$r" 2>"$err" &
    pid=$!
    if [ -n "$expect" ]; then
        # the restore must name the state file's checkpoint
        if wait_for "$err" "resuming from global_step" 30 "$pid"; then
            got=$(sed -n 's/^resuming from global_step \([0-9]*\)$/\1/p' "$err" | head -n 1)
            check "round $r: resumes from the state's step (expected $expect, got $got)" [ "$got" = "$expect" ]
        else
            fail "round $r: no 'resuming from global_step $expect' line"
            cat "$err" >&2
        fi
    fi
    # the random sleep counts from the first progress line (step 10, before
    # the first checkpoint at 50): reading the data and building the model
    # take long under a sanitizer, and a kill must land during training
    wait_for "$err" " epoch " 60 "$pid" || true
    t=$(rand_sleep "$r")
    sleep "$t"
    kill -9 "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    [ "$rc" != 137 ] || killed=$((killed + 1))
    if [ -z "$expect" ]; then
        check "round $r: no resume without a checkpoint" [ "$(grep -c 'resuming from' "$err")" = 0 ]
    fi
    if [ "$rc" = 0 ]; then
        echo "round $r: the run finished before the kill (after ${t}s)"
        finished=1
        break
    fi
    check "round $r: killed by SIGKILL (rc $rc)" [ "$rc" = 137 ]
    verify_state "round $r"
    echo "round $r: killed after ${t}s, checkpoint step ${STEP:-none}"
    if [ -n "$STEP" ]; then
        check "round $r: checkpoint step never decreases ($prev -> $STEP)" [ "$STEP" -ge "$prev" ]
        prev=$STEP
    fi
    expect=$STEP
    r=$((r + 1))
done
[ "$finished" = 1 ] || check "at least 3 kills landed during training (got $killed)" [ "$killed" -ge 3 ]
check "some training was checkpointed before the last kill" [ "$prev" -gt 0 ]

# kill -9 during export (optional: it lasts milliseconds). Each attempt trains
# to the end (or, once training is done, only evaluates and exports) while
# the shell watches for the temp-<ts> directory the export writes into.
export_killed=0
a=1
while [ "$a" -le 4 ] && [ "$export_killed" = 0 ]; do
    "$TENSORCTL" train --config "$cfg" >"$WORK/out.x$a" 2>"$WORK/err.x$a" &
    pid=$!
    seen=0
    while kill -0 "$pid" 2>/dev/null; do
        for d in "$exp"/temp-*; do
            if [ -d "$d" ] && [ ! -e "$exp/${d##*/temp-}" ]; then
                seen=1
                break 2
            fi
        done
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    [ "$rc" != 137 ] || killed=$((killed + 1))
    if [ "$seen" = 1 ] && [ "$rc" = 137 ]; then
        export_killed=1
        echo "export attempt $a: killed during export"
    else
        echo "export attempt $a: missed the export (rc $rc)"
    fi
    verify_state "export attempt $a"
    a=$((a + 1))
done

# every version directory in the export base is complete
check_exports() {
    for d in "$exp"/*; do
        case ${d##*/} in
        *[!0-9]*) continue ;; # temp-<ts> and the like: not a version
        esac
        check "export ${d##*/} complete" [ -s "$d/saved_model.pb" -a -s "$d/variables/variables.index" \
            -a -s "$d/variables/variables.data-00000-of-00001" ]
    done
}
check_exports

# the last run completes: resumes, trains to the end (or skips), evaluates, exports
"$TENSORCTL" train --config "$cfg" >"$WORK/out.final" 2>"$WORK/err.final"
rc=$?
check "final run exits 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || cat "$WORK/err.final" >&2
check "final run resumed" contains "$WORK/err.final" "resuming from global_step"
check "final global_step = $max_steps" contains "$WORK/out.final" "global_step = $max_steps"
check "eval metrics printed" contains "$WORK/out.final" "eval: accuracy = "
acc=$(sed -n 's/.*eval: accuracy = \([0-9.]*\),.*/\1/p' "$WORK/out.final")
check "accuracy above the majority class (got $acc)" "$PY" -c "import sys; sys.exit(0 if float('${acc:-0}') > 0.80 else 1)"
check "final checkpoint state" contains "$md/checkpoint" "model_checkpoint_path: \"model.ckpt-$max_steps\""
verify_state "final"
# the final run resumed, so nothing a kill left remains: keep_checkpoint_max
# bundles at most and no temporary files
nb=$(ls "$md" | grep -c '^model\.ckpt-[0-9]*\.index$')
check "final: at most $keep bundles on disk (got $nb)" [ "$nb" -le "$keep" ]
check "final: no temporary files left" [ "$(ls "$md" | grep -c tempstate)" = 0 ]
check_exports
check "an export exists" [ -n "$(find "$exp" -mindepth 1 -maxdepth 1 -name '[0-9]*' ! -name '*[!0-9]*')" ]
echo "kills: $killed; killed during export: $( [ "$export_killed" = 1 ] && echo yes || echo no)"

start_tensord --model_name=census --model_base_path="$exp" || { summary; exit 1; }
http POST /v1/models/census:classify \
    '{"examples": [{"age": 52.0, "education_num": 16.0, "capital_gain": 15024.0, "capital_loss": 0.0, "hours_per_week": 60.0}]}'
check "REST classify on the export answers 200 (got $HTTP_CODE)" [ "$HTTP_CODE" = 200 ]
check "and returns a score per class" json_eq "len(b['results'][0]) == 2"
stop_tensord
summary
