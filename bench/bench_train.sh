#!/bin/sh
# bench_train.sh - training time of tensord's trainer on the census runs of
# TensorFlow's wide-and-deep example (bench/census: linear, DNN 100-75-50-25,
# wide-and-deep; batch 40, 40 epochs), next to scikit-learn's
# LogisticRegression and MLPClassifier(100,75,50,25; batch 40; same epochs)
# on the same one-hot data (bench/sklearn_census.py), all in one invocation.
#
# Extra row, marked "numeric": the bundled models/census_dnn config cut to
# its five numeric columns, with the same network, batch and epochs, and
# sklearn's MLP on the same five columns. It runs with the trainer as it is
# today, while the configs above need its categorical columns.
#
# tensord: `tensorctl train` in a fresh directory per run (nothing resumes);
# seconds = wall time of the whole command (read the CSV, train, evaluate,
# export), examples/s = the training loop's own rate from the final
# progress line. sklearn: seconds = fit() only, examples/s = n_train *
# epochs / seconds (LogisticRegression: lbfgs iterations instead of epochs).
# A run that fails is reported as "failed: <message>" and the bench goes on.
#
# usage: bench/bench_train.sh [BUILD_DIR] [EPOCHS]   (defaults: build, 40)
#        EPOCHS rewrites num_epochs everywhere (e.g. 2 for a quick check).
# needs: Debian's python3-sklearn (python3-numpy, python3-scipy) for the
#        baseline; its rows fail with a message when it is missing.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-"$here/build"}
epochs=${2:-40}
ctl="$build/client/tensorctl"
data="$here/datasets/census"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
[ -x "$ctl" ] || { echo "bench_train: $ctl not built" >&2; exit 1; }
case $epochs in '' | *[!0-9]* | 0) echo "bench_train: EPOCHS must be a positive integer" >&2; exit 2 ;; esac
work=$(mktemp -d /tmp/tsd-bench-train-XXXXXX)
trap 'rm -rf "$work"' EXIT
rows="$work/rows" # key \t model \t tool \t accuracy \t seconds \t examples/s \t note
: >"$rows"
ntrain=$(grep -c . "$data/adult.data.csv")

now_ns() { date +%s%N; }

# row KEY MODEL TOOL ACCURACY SECONDS EXAMPLES_PER_SEC NOTE
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$rows"; }

# prep NAME CONFIG: a copy of CONFIG in its own directory, with absolute data
# paths and num_epochs EPOCHS; prints the copy's path
prep() {
    mkdir -p "$work/$1"
    sed -e "s#\"\.\./\.\./datasets/census/#\"$data/#" \
        -e "s/num_epochs: [0-9]*/num_epochs: $epochs/" "$2" >"$work/$1/trainer.config"
    echo "$work/$1/trainer.config"
}

# train KEY MODEL CONFIG: one `tensorctl train` run, timed
train() {
    key=$1 model=$2 cfg=$3
    dir=$(dirname "$cfg")
    echo "tensord: $model ..." >&2
    t0=$(now_ns)
    if "$ctl" train --config "$cfg" >"$dir/out" 2>"$dir/err"; then rc=0; else rc=$?; fi
    t1=$(now_ns)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    if [ "$rc" != 0 ]; then
        msg=$(cat "$dir/err" "$dir/out" | tr '\r' '\n' | grep -v '^step ' | grep . | tail -n 1 |
            sed -e 's/^tensorctl train: //' -e "s#^$cfg: ##" | tr '\t|' '  ')
        row "$key" "$model" tensord - "$secs" - "failed: ${msg:-exit status $rc}"
        echo "  failed (exit $rc): $msg" >&2
        return 0
    fi
    if grep -q 'resuming from' "$dir/err"; then
        row "$key" "$model" tensord - "$secs" - "failed: resumed from an old checkpoint"
        return 0
    fi
    acc=$(sed -n 's/.*eval: accuracy = \([0-9.]*\),.*/\1/p' "$dir/out")
    steps=$(sed -n 's/.*global_step = \([0-9]*\).*/\1/p' "$dir/out")
    eps=$(tr '\r' '\n' <"$dir/err" | sed -n 's/^step .* examples\/s \([0-9.]*\).*/\1/p' | tail -n 1)
    row "$key" "$model" tensord "${acc:--}" "$secs" "${eps:--}" "global_step ${steps:-?}; seconds: whole command"
    echo "  accuracy ${acc:-?}, ${secs}s, ${eps:-?} examples/s (training loop)" >&2
}

# sklearn KEY... -- ARGS: sklearn_census.py ARGS; its JSON lines become the rows KEY...
sklearn() {
    keys=""
    while [ "$1" != -- ]; do keys="$keys $1"; shift; done
    shift
    echo "sklearn: $* ..." >&2
    if ! "$PY" -c 'import sklearn' 2>/dev/null; then
        for k in $keys; do
            row "$k" "$k" sklearn - - - "failed: python3-sklearn not installed (apt-get install python3-sklearn)"
        done
        return 0
    fi
    if ! "$PY" "$here/bench/sklearn_census.py" "$data" --epochs "$epochs" "$@" >"$work/sk.out" 2>"$work/sk.err"; then
        msg=$(grep . "$work/sk.err" | tail -n 1 | tr '\t|' '  ')
        for k in $keys; do row "$k" "$k" sklearn - - - "failed: $msg"; done
        return 0
    fi
    # shellcheck disable=SC2086 # one argument per key
    "$PY" - "$work/sk.out" $keys >>"$rows" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for key, r in zip(sys.argv[2:], lines):
    note = "%d %s; %s features (%d); seconds: fit()" % (r["n_iter"], r["iter_kind"], r["features"], r["n_features"])
    print("\t".join([key, r["model"], r["tool"], "%.4f" % r["accuracy"], "%.3f" % r["seconds"],
                     "%.0f" % r["examples_per_sec"], note]))
EOF
    tail -n "$(grep -c . "$work/sk.out")" "$rows" | cut -f2,4,5,6 | sed 's/^/  /' >&2
}

echo "census: $ntrain training rows, batch 40, $epochs epochs; $(nproc) cores" >&2
train linear "linear (LinearClassifier)" "$(prep linear "$here/bench/census/linear.config")"
train dnn "DNN 100-75-50-25 (DNNClassifier)" "$(prep dnn "$here/bench/census/dnn.config")"
train wide_deep "wide and deep (DNNLinearCombinedClassifier)" \
    "$(prep wide_deep "$here/bench/census/wide_deep.config")"
# the extra numeric-only row: models/census_dnn's numeric columns with the
# benchmark's network, batch and checkpoint/summary cadence
cfg=$(prep numeric "$here/models/census_dnn/trainer.config")
sed -i -e 's/batch_size: [0-9]*/batch_size: 40/' \
    -e 's/hidden_units: \[.*\]/hidden_units: [100, 75, 50, 25]/' \
    -e 's/save_summary_steps: [0-9]*/save_summary_steps: 1000\n  save_checkpoints_steps: 10000/' \
    -e '/^feature_columns.*\(vocabulary_list\|hash_bucket\|indicator\|embedding\)/d' "$cfg"
train dnn_numeric "numeric: DNN 100-75-50-25, 5 numeric columns" "$cfg"
sklearn sk_lr sk_mlp -- --features onehot --models lr,mlp
sklearn sk_mlp_numeric -- --features numeric --models mlp

# ---- report ------------------------------------------------------------------------
echo
echo "census income, $ntrain training rows, batch 40, $epochs epochs, $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| model | tool | accuracy | seconds | examples/s | note |"
echo "|---|---|---:|---:|---:|---|"
awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7 }' "$rows"
echo
# ratio A B LABEL: A's examples/s over B's and B's seconds over A's, with accuracies
ratio() {
    awk -F'\t' -v a="$1" -v b="$2" -v label="$3" '
        { acc[$1] = $4; sec[$1] = $5; eps[$1] = $6; note[$1] = $7 }
        END {
            if (!(a in eps) || !(b in eps) || eps[a] == "-" || eps[b] == "-" || eps[b] + 0 == 0 || sec[a] + 0 == 0) {
                why = note[a] ~ /^failed/ ? note[a] : note[b]
                printf "- %s: n/a (%s)\n", label, why
                exit
            }
            printf "- %s: **%.2fx** examples/s (%s vs %s), %.2fx wall (%s s fit vs %s s whole command), accuracy %s vs %s\n",
                label, eps[a] / eps[b], eps[a], eps[b], sec[b] / sec[a], sec[b], sec[a], acc[a], acc[b]
        }' "$rows"
}
echo "Ratios (tensord over sklearn; examples/s: training loop vs fit(); wall: sklearn fit() seconds over tensorctl train's whole run):"
echo
ratio dnn sk_mlp "DNN 100-75-50-25 vs MLPClassifier (target: >= 4x at equal or better accuracy)"
ratio linear sk_lr "linear vs LogisticRegression (lbfgs passes, not epochs)"
ratio dnn_numeric sk_mlp_numeric "numeric: DNN vs MLPClassifier on the 5 numeric columns"
