#!/bin/sh
# One command for a new user: installs what tensord needs (Debian packages),
# builds it, and starts tensord with two models: "census", whose model
# config carries a training job, so tensord's embedded trainer trains the
# bundled census income classifier (models/census_dnn/trainer.config, on
# datasets/census; about a second) and serves the version it exports, and
# the bundled models/half_plus_two. REST on port 8501, gRPC on 8500; shows
# first requests. Stop it with Ctrl-C (graceful drain). Ports: REST_PORT /
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
rest=${REST_PORT:-8501}
grpc=${GRPC_PORT:-8500}
# the census model is trained by a training job inside tensord: its first
# round trains, evaluates and exports a version, which tensord then serves
# (a later start finds training complete and serves that version)
cat > "$here/build/models.config" <<EOF
model_config_list {
  config {
    name: 'census' base_path: '$census/export' model_platform: 'tensorflow'
    training_job { config: '$census/trainer.config' }
  }
  config { name: 'half_plus_two' base_path: '$here/models/half_plus_two' model_platform: 'tensorflow' }
}
EOF
"$here/build/server/tensord" --port="$grpc" --rest_api_port="$rest" \
    --model_config_file="$here/build/models.config" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM
i=0
until curl -sf -o /dev/null "http://localhost:$rest/readyz"; do
    kill -0 $pid 2>/dev/null || { echo "tensord failed to start" >&2; exit 1; }
    i=$((i + 1)); [ $i -lt 600 ] || { echo "tensord did not become ready" >&2; exit 1; }
    sleep 0.1
done
example='{"examples": [{"age": 52.0, "workclass": "Private", "education": "Doctorate", "education_num": 16.0, "marital_status": "Married-civ-spouse", "occupation": "Prof-specialty", "relationship": "Husband", "capital_gain": 15024.0, "capital_loss": 0.0, "hours_per_week": 60.0}]}'
echo
curl -s "http://localhost:$rest/v1/training/census"
echo
echo "tensord is serving \"census\" (trained by its embedded trainer) and"
echo "\"half_plus_two\" on http://localhost:$rest (gRPC on port $grpc). Try:"
echo "  curl -d '$example' http://localhost:$rest/v1/models/census:classify"
echo "  curl -d '{\"instances\": [1.0, 2.0, 5.0]}' http://localhost:$rest/v1/models/half_plus_two:predict"
echo "  curl http://localhost:$rest/v1/training/census   # the training job"
curl -s -d "$example" "http://localhost:$rest/v1/models/census:classify"
echo
curl -s -d '{"instances": [1.0, 2.0, 5.0]}' "http://localhost:$rest/v1/models/half_plus_two:predict"
echo
echo "(Ctrl-C stops tensord)"
wait $pid
