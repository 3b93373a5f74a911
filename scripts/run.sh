#!/bin/sh
# One command for a new user: installs what tensord needs (Debian packages),
# builds it, trains the bundled census income classifier with the embedded
# trainer (models/census_dnn/trainer.config, on datasets/census; a few
# seconds), and serves it as model "census" next to the bundled
# models/half_plus_two, on REST port 8501 and gRPC port 8500, showing first
# requests. Stop it with Ctrl-C (graceful drain). Ports: REST_PORT /
# GRPC_PORT env.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
    "$here/scripts/install-deps.sh"
elif command -v sudo >/dev/null 2>&1; then
    sudo "$here/scripts/install-deps.sh"
else
    "$here/scripts/install-deps.sh"
fi
"$here/scripts/build.sh" "$here/build"
census="$here/models/census_dnn"
if ! ls "$census/export" 2>/dev/null | grep -q '^[0-9][0-9]*$'; then
    echo "training the census model (tensorctl train --config $census/trainer.config)"
    "$here/build/client/tensorctl" train --config "$census/trainer.config"
fi
rest=${REST_PORT:-8501}
grpc=${GRPC_PORT:-8500}
printf "model_config_list {\n  config { name: 'census' base_path: '%s' model_platform: 'tensorflow' }\n  config { name: 'half_plus_two' base_path: '%s' model_platform: 'tensorflow' }\n}\n" \
    "$census/export" "$here/models/half_plus_two" > "$here/build/models.config"
"$here/build/server/tensord" --port="$grpc" --rest_api_port="$rest" \
    --model_config_file="$here/build/models.config" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM
i=0
until curl -s -o /dev/null "http://localhost:$rest/readyz"; do
    kill -0 $pid 2>/dev/null || { echo "tensord failed to start" >&2; exit 1; }
    i=$((i + 1)); [ $i -lt 300 ] || { echo "tensord did not become ready" >&2; exit 1; }
    sleep 0.1
done
example='{"examples": [{"age": 52.0, "education_num": 16.0, "capital_gain": 15024.0, "capital_loss": 0.0, "hours_per_week": 60.0}]}'
echo
echo "tensord is serving \"census\" (trained just now by tensord's trainer) and"
echo "\"half_plus_two\" on http://localhost:$rest (gRPC on port $grpc). Try:"
echo "  curl -d '$example' http://localhost:$rest/v1/models/census:classify"
echo "  curl -d '{\"instances\": [1.0, 2.0, 5.0]}' http://localhost:$rest/v1/models/half_plus_two:predict"
curl -s -d "$example" "http://localhost:$rest/v1/models/census:classify"
echo
curl -s -d '{"instances": [1.0, 2.0, 5.0]}' "http://localhost:$rest/v1/models/half_plus_two:predict"
echo
echo "(Ctrl-C stops tensord)"
wait $pid
