#!/bin/sh
# bench_inspect.sh - wall time of `tensorctl inspect` (text and --json) on the
# largest fixture, taxi_wide_deep_tft (505 KB saved_model.pb), next to `cat`
# of the same file measured in the same run as a process-plus-read baseline,
# and `tensorctl --version` as the cost of starting the binary (dynamic
# linking, library constructors) without reading anything.
#
# usage: bench/bench_inspect.sh [BUILD_DIR] [RUNS]   (defaults: build, 50)
# env:   TSD_SHARED_DIR (default: ../shared next to the source tree)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
runs=${2:-50}
shared=${TSD_SHARED_DIR:-$here/../shared}
model="$shared/models/estimator/taxi_wide_deep_tft/1646034756"
ctl="$build/client/tensorctl"
[ -x "$ctl" ] || { echo "bench_inspect: $ctl not built" >&2; exit 1; }
[ -f "$model/saved_model.pb" ] || { echo "bench_inspect: no fixture at $model" >&2; exit 1; }

now_ns() { date +%s%N; }

# mean_ms LABEL CMD...: run CMD `runs` times (output discarded), print the mean
mean_ms() {
    label=$1
    shift
    "$@" >/dev/null # warm the page cache and fail early
    start=$(now_ns)
    i=0
    while [ "$i" -lt "$runs" ]; do
        "$@" >/dev/null
        i=$((i + 1))
    done
    end=$(now_ns)
    # mean in microseconds, printed as milliseconds with 3 decimals
    us=$(((end - start) / runs / 1000))
    printf '%-22s %4d.%03d ms/run\n' "$label" $((us / 1000)) $((us % 1000))
    last_us=$us
}

echo "taxi_wide_deep_tft saved_model.pb: $(wc -c <"$model/saved_model.pb") bytes, $runs runs"
mean_ms "cat saved_model.pb" cat "$model/saved_model.pb"
cat_us=$last_us
mean_ms "tensorctl --version" "$ctl" --version
mean_ms "tensorctl inspect" "$ctl" inspect "$model"
text_us=$last_us
mean_ms "tensorctl inspect --json" "$ctl" inspect "$model" --json
json_us=$last_us
[ "$cat_us" -gt 0 ] || cat_us=1
printf 'ratio to cat: inspect %d.%02dx, --json %d.%02dx\n' \
    $((text_us / cat_us)) $((text_us * 100 / cat_us % 100)) \
    $((json_us / cat_us)) $((json_us * 100 / cat_us % 100))
