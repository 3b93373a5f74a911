#!/bin/sh
# Installs the Debian packages tensord needs to build and test.
# Idempotent: does nothing when every package is already installed.
set -eu

PKGS="build-essential cmake pkg-config clang clang-format llvm libclang-rt-14-dev
protobuf-c-compiler libprotobuf-c-dev protobuf-compiler
libgrpc-dev libmicrohttpd-dev libopenblas-dev libcmocka-dev libsnappy-dev
libjansson-dev zlib1g-dev libfarmhash-dev
libcurl4-openssl-dev python3 python3-grpcio python3-protobuf curl wrk nghttp2-client haproxy"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing" >&2
    echo "install-deps: run this script as root (apt-get)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
