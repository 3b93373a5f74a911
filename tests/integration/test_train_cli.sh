#!/bin/sh
# test_train_cli.sh - `tensorctl train` as a user runs it: the bundled census
# trainer config (data from the repository's datasets/census) trains,
# evaluates with TF's metric names and exports; a second run resumes and
# skips training; tensord serves the export and our client classifies with
# it; bad configs fail with a message naming the problem.
set -u
. "$(dirname "$0")/lib.sh"

cp "$TSD_SOURCE_DIR/models/census_dnn/trainer.config" "$WORK/trainer.config"
# the config's data paths are relative to its own directory
sed -i "s#\.\./\.\./datasets#$TSD_SOURCE_DIR/datasets#" "$WORK/trainer.config"
"$TENSORCTL" train --config "$WORK/trainer.config" >"$WORK/out" 2>"$WORK/err"
rc=$?
check "train exits 0" [ "$rc" = 0 ]
check "progress lines" contains "$WORK/err" "step 1018/1018 epoch 2"
check "eval metric names" contains "$WORK/out" "auc_precision_recall = "
acc=$(sed -n 's/.*eval: accuracy = \([0-9.]*\),.*/\1/p' "$WORK/out")
check "accuracy above the majority class (got $acc)" "$PY" -c "import sys; sys.exit(0 if float('$acc') > 0.80 else 1)"
check "checkpoint state" contains "$WORK/model_dir/checkpoint" 'model_checkpoint_path: "model.ckpt-1018"'
check "training events" [ "$(ls "$WORK/model_dir" | grep -c tfevents)" = 1 ]
check "eval events" [ "$(ls "$WORK/model_dir/eval" | grep -c tfevents)" = 1 ]
check "one export" [ "$(ls "$WORK/export" | grep -c '^[0-9]*$')" = 1 ]

"$TENSORCTL" train --config "$WORK/trainer.config" >"$WORK/out2" 2>"$WORK/err2"
check "second run resumes" contains "$WORK/err2" "resuming from global_step 1018"
check "and skips training" contains "$WORK/err2" "Skipping training since max_steps has already saved."
check "global_step unchanged" contains "$WORK/out2" "global_step = 1018"

start_tensord --model_name=census --model_base_path="$WORK/export" || { summary; exit 1; }
"$TENSORCTL" classify "127.0.0.1:$GRPC_PORT" --model census --json \
    '{"examples": [{"age": 52.0, "education_num": 16.0, "capital_gain": 15024.0, "capital_loss": 0.0, "hours_per_week": 60.0}, {"age": 19.0, "education_num": 9.0, "capital_gain": 0.0, "capital_loss": 0.0, "hours_per_week": 20.0}]}' \
    >"$WORK/cls" 2>&1
rc=$?
check "classify over gRPC" [ "$rc" = 0 ]
check "rich and young ordered" "$PY" -c "
import json, sys
r = json.load(open('$WORK/cls'))['results']
sys.exit(0 if r[0][1][1] > 0.5 > r[1][1][1] and r[0][1][0] == '>50K' else 1)"
stop_tensord

# evaluate and export work on the latest checkpoint
"$TENSORCTL" evaluate --config "$WORK/trainer.config" >"$WORK/out5" 2>"$WORK/err5"
check "evaluate exits 0" [ $? = 0 ]
check "evaluate: the same metrics" [ "$(grep '^eval:' "$WORK/out5")" = "$(grep '^eval:' "$WORK/out2")" ]
"$TENSORCTL" export --config "$WORK/trainer.config" >"$WORK/out6" 2>&1
check "export exits 0" [ $? = 0 ]
check "one more export" [ "$(ls "$WORK/export" | grep -c '^[0-9]*$')" = 3 ]

# bit-reproducible: the same seed on one thread trains the same weights
for r in a b; do
    mkdir -p "$WORK/rep_$r"
    sed "s#model_dir: \"model_dir\"#model_dir: \"$WORK/rep_$r/model\"#; s#export_dir_base: \"export\"#export_dir_base: \"$WORK/rep_$r/export\"#" \
        "$WORK/trainer.config" >"$WORK/rep_$r/trainer.config"
    "$TENSORCTL" train --config "$WORK/rep_$r/trainer.config" >/dev/null 2>&1
done
check "same seed, same checkpoint bytes" cmp -s "$WORK/rep_a/model/model.ckpt-1018.data-00000-of-00001" \
    "$WORK/rep_b/model/model.ckpt-1018.data-00000-of-00001"
sed -i 's/tf_random_seed: 42/tf_random_seed: 43/' "$WORK/rep_b/trainer.config"
rm -rf "$WORK/rep_b/model"
"$TENSORCTL" train --config "$WORK/rep_b/trainer.config" >/dev/null 2>&1
check "another seed, other weights" sh -c '! cmp -s "$1" "$2"' _ "$WORK/rep_a/model/model.ckpt-1018.data-00000-of-00001" \
    "$WORK/rep_b/model/model.ckpt-1018.data-00000-of-00001"

rm -rf "$WORK/empty_model"
sed "s#model_dir: \"model_dir\"#model_dir: \"$WORK/empty_model\"#" "$WORK/trainer.config" >"$WORK/fresh.config"
"$TENSORCTL" evaluate --config "$WORK/fresh.config" >"$WORK/out7" 2>&1
check "evaluate without a checkpoint fails" contains "$WORK/out7" "no checkpoint in"

printf 'data { train_files: "x.csv" }\n' > "$WORK/bad.config"
"$TENSORCTL" train --config "$WORK/bad.config" >"$WORK/out3" 2>&1
check "incomplete config fails" contains "$WORK/out3" "run_config.model_dir are required"
printf 'data { train_file: "x.csv" }\n' > "$WORK/bad2.config"
"$TENSORCTL" train --config "$WORK/bad2.config" >"$WORK/out4" 2>&1
check "syntax error names the message type" contains "$WORK/out4" "Error parsing text-format tensord.TrainerConfig: 1:"
summary
