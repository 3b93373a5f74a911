#!/bin/sh
# test_drain.sh - graceful shutdown: on SIGTERM /readyz fails at once while
# requests are still served for --drain_delay_seconds, then new connections
# are refused, requests in flight complete, and tensord exits 0. Clients
# under load never see an error status or a cut response. The gRPC health
# service answers SERVING before and NOT_SERVING during the drain.
set -u
. "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/half"
cp -r "$TSD_SHARED_DIR/models/tfserving/saved_model_half_plus_two_cpu/00000123" "$WORK/half/1"
start_tensord --model_name=half --model_base_path="$WORK/half" --drain_delay_seconds=2 \
    --enable_grpc_healthcheck_service || { summary; exit 1; }

# health GRPC_PORT: print the grpc.health.v1 status (SERVING / NOT_SERVING)
mkdir -p "$WORK/py"
protoc -I"$TSD_SOURCE_DIR/proto" --python_out="$WORK/py" grpc/health/v1/health.proto
health() {
    "$PY" - "$1" "$WORK/py/grpc/health/v1/health_pb2.py" <<'EOF'
import importlib.util, sys, grpc
spec = importlib.util.spec_from_file_location('health_pb2', sys.argv[2])
h = importlib.util.module_from_spec(spec); spec.loader.exec_module(h)
ch = grpc.insecure_channel('127.0.0.1:' + sys.argv[1])
check = ch.unary_unary('/grpc.health.v1.Health/Check',
    request_serializer=h.HealthCheckRequest.SerializeToString,
    response_deserializer=h.HealthCheckResponse.FromString)
print(h.HealthCheckResponse.ServingStatus.Name(check(h.HealthCheckRequest(), timeout=5).status))
EOF
}
check "gRPC health SERVING before the drain" [ "$(health "$GRPC_PORT")" = SERVING ]

"$PY" - "$REST_PORT" "$WORK/stats" <<'EOF' &
import http.client, json, sys, threading, time
port, out = int(sys.argv[1]), sys.argv[2]
ok = bad = refused = 0
first_reset = 0.0
lock = threading.Lock()
def worker():
    global ok, bad, refused, first_reset
    o = b = r = 0
    end = time.time() + 8
    while time.time() < end:
        try:
            c = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
            c.request('POST', '/v1/models/half:predict', body='{"instances": [[2.0]]}')
            resp = c.getresponse()
            body = json.loads(resp.read())
            if resp.status == 200 and body == {"predictions": [[3.0]]}:
                o += 1
            else:
                b += 1
                print('bad', resp.status, body, file=sys.stderr)
            c.close()
        except ConnectionRefusedError:
            r += 1
            time.sleep(0.01)
        except (ConnectionResetError, BrokenPipeError):
            # a connection still queued in the kernel when the listening
            # socket closes is reset; allowed only after the drain delay
            r += 1
            with lock:
                if not first_reset:
                    first_reset = time.time()
        except Exception as e:
            b += 1
            print('error', repr(e), file=sys.stderr)
    with lock:
        ok += o; bad += b; refused += r
ts = [threading.Thread(target=worker) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
open(out, 'w').write('%d %d %d %.3f\n' % (ok, bad, refused, first_reset))
EOF
CLIENT=$!
sleep 1
KILLED_AT=$("$PY" -c 'import time; print("%.3f" % time.time())')
kill -TERM "$TENSORD_PID"
sleep 0.5
http GET /readyz
check "readyz 503 while draining" [ "$HTTP_CODE" = 503 ]
check "gRPC health NOT_SERVING while draining" [ "$(health "$GRPC_PORT")" = NOT_SERVING ]
http POST /v1/models/half:predict '{"instances": [[2.0]]}'
check "still serving during drain delay" json_eq 'b == {"predictions": [[3.0]]}'
wait "$TENSORD_PID"
STOP_RC=$?
TENSORD_PID=""
check "exit 0 after drain" [ "$STOP_RC" = 0 ]
wait "$CLIENT"
read -r OKS BADS REFUSED RESET_AT < "$WORK/stats"
echo "during shutdown: $OKS ok, $BADS failed, $REFUSED refused or reset after close"
check "requests served" [ "$OKS" -gt 50 ]
check "no failed or cut responses" [ "$BADS" = 0 ]
check "new connections refused at the end" [ "$REFUSED" -gt 0 ]
check "no reset before the drain delay" "$PY" -c "import sys; sys.exit(0 if $RESET_AT == 0 or $RESET_AT >= $KILLED_AT + 1.9 else 1)"
summary
