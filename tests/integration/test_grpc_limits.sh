#!/bin/sh
# test_grpc_limits.sh - --max_request_elements on the gRPC paths. A
# TensorProto may declare a huge shape with one value that repeats to fill
# it; Predict must refuse it from the declared shape before allocating
# (INVALID_ARGUMENT, REST's wording), as must a request whose input tensors
# add up past the limit, and Classify/Regress/MultiInference with more
# examples than the limit. The server's peak RSS stays small, requests at
# the limit still work, and the server keeps serving.
set -u
. "$(dirname "$0")/lib.sh"

MS=$TSD_SHARED_DIR/models
LIMIT=100000
mkdir -p "$WORK/py"
protoc -I"$TSD_SOURCE_DIR/proto" --python_out="$WORK/py" \
    $(cd "$TSD_SOURCE_DIR/proto" && find . -name '*.proto' ! -path './google/*' | sed 's#^\./##') \
    || { fail protoc; summary; exit 1; }

start_tensord --model_name=half --model_base_path="$MS/tfserving/saved_model_half_plus_two_cpu" \
    --max_request_elements=$LIMIT || { summary; exit 1; }

PYTHONPATH="$WORK/py" "$PY" - "$GRPC_PORT" "$TENSORD_PID" "$LIMIT" <<'EOF' > "$WORK/py.out" 2>&1
import sys, time, grpc
from tensorflow_serving.apis import (predict_pb2, classification_pb2, regression_pb2,
    inference_pb2)
from tensorflow.core.framework import types_pb2

port, pid, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
passed = failed = 0
def check(name, cond):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", name)

def vm_kb(field):
    for line in open('/proc/%s/status' % pid):
        if line.startswith(field + ':'):
            return int(line.split()[1])
    return -1

opts = [('grpc.max_receive_message_length', -1), ('grpc.max_send_message_length', -1)]
ch = grpc.insecure_channel('127.0.0.1:' + port, options=opts)
def rpc(method, req_cls, resp_cls):
    return ch.unary_unary('/tensorflow.serving.PredictionService/' + method,
        request_serializer=req_cls.SerializeToString, response_deserializer=resp_cls.FromString)
Predict = rpc('Predict', predict_pb2.PredictRequest, predict_pb2.PredictResponse)
Classify = rpc('Classify', classification_pb2.ClassificationRequest, classification_pb2.ClassificationResponse)
Regress = rpc('Regress', regression_pb2.RegressionRequest, regression_pb2.RegressionResponse)
Multi = rpc('MultiInference', inference_pb2.MultiInferenceRequest, inference_pb2.MultiInferenceResponse)

def code_of(f, req):
    t0 = time.time()
    try:
        f(req, timeout=60)
        return None, '', time.time() - t0
    except grpc.RpcError as e:
        return e.code(), e.details(), time.time() - t0

def add_input(r, key, dims, dtype=types_pb2.DT_FLOAT, value=2.0):
    t = r.inputs[key]
    t.dtype = dtype
    for d in dims:
        t.tensor_shape.dim.add().size = d
    if dtype == types_pb2.DT_FLOAT: t.float_val.append(value)
    elif dtype == types_pb2.DT_INT64: t.int64_val.append(int(value))
    elif dtype == types_pb2.DT_STRING: t.string_val.append(b'x' * 64)
    return r

def predict_req(*inputs):
    r = predict_pb2.PredictRequest()
    r.model_spec.name = 'half'
    for key, dims in inputs:
        add_input(r, key, dims)
    return r

# the server works before anything else
resp = Predict(predict_req(('x', [3, 1])))
check("predict before", list(resp.outputs['y'].float_val) == [3.0, 3.0, 3.0])
hwm0 = vm_kb('VmHWM')

# shape [100000000] with one float: refused quickly, naming the input and the limit
too_many = "input 'x': tensor has more than %d elements" % limit
c, d, secs = code_of(Predict, predict_req(('x', [100000000])))
check("huge shape code", c == grpc.StatusCode.INVALID_ARGUMENT)
check("huge shape message", d == too_many)
check("huge shape quick", secs < 2.0)
# the same through other dtypes and shapes, and repeatedly
for dims, dt in [([10000, 10000], types_pb2.DT_FLOAT), ([100000000, 1], types_pb2.DT_INT64),
                 ([100000000], types_pb2.DT_STRING), ([1 << 20, 1 << 20, 1 << 20], types_pb2.DT_FLOAT)]:
    r = predict_pb2.PredictRequest(); r.model_spec.name = 'half'
    add_input(r, 'x', dims, dt)
    c, d, secs = code_of(Predict, r)
    check("huge %s %s" % (dims, dt), c == grpc.StatusCode.INVALID_ARGUMENT and d == too_many
          and secs < 2.0)
# a zero dimension makes zero elements whatever the others say (as in REST):
# nothing to allocate, the decoder and the signature judge it
r = predict_pb2.PredictRequest(); r.model_spec.name = 'half'
add_input(r, 'x', [0, 1 << 40])
c, d, secs = code_of(Predict, r)
check("zero elements", c == grpc.StatusCode.INVALID_ARGUMENT and d != too_many and secs < 2.0)
for i in range(20):
    c, d, _ = code_of(Predict, predict_req(('x', [100000000])))
    check("huge repeated", c == grpc.StatusCode.INVALID_ARGUMENT and d == too_many)
# just past the limit: refused; at the limit: served
c, d, _ = code_of(Predict, predict_req(('x', [limit + 1, 1])))
check("limit + 1", c == grpc.StatusCode.INVALID_ARGUMENT and d == too_many)
resp = Predict(predict_req(('x', [limit, 1])))
ys = resp.outputs['y'].float_val
check("at the limit", len(ys) == limit and ys[0] == 3.0 and ys[limit - 1] == 3.0)
resp = Predict(predict_req(('x', [limit - 1, 1])))
check("under the limit", len(resp.outputs['y'].float_val) == limit - 1)
# tensors each under the limit but over it together: refused, naming the
# input that passes it (map entries may go out in either order)
c, d, _ = code_of(Predict, predict_req(('x', [limit // 2 + 1, 1]), ('z', [limit // 2, 1])))
check("sum over inputs", c == grpc.StatusCode.INVALID_ARGUMENT and d in [
      "input '%s': the request's input tensors have more than %d elements" % (k, limit)
      for k in ('x', 'z')])

# examples: more than the limit refused in Classify, Regress and MultiInference
many = classification_pb2.ClassificationRequest()
many.model_spec.name = 'half'; many.model_spec.signature_name = 'classify_x_to_y'
for _ in range(limit + 1):
    many.input.example_list.examples.add()
ex_msg = "input examples: tensor has more than %d elements" % limit
c, d, _ = code_of(Classify, many)
check("classify examples", c == grpc.StatusCode.INVALID_ARGUMENT and d == ex_msg)
rr = regression_pb2.RegressionRequest()
rr.model_spec.name = 'half'; rr.model_spec.signature_name = 'regress_x_to_y'
rr.input.CopyFrom(many.input)
c, d, _ = code_of(Regress, rr)
check("regress examples", c == grpc.StatusCode.INVALID_ARGUMENT and d == ex_msg)
mr = inference_pb2.MultiInferenceRequest()
t = mr.tasks.add(); t.model_spec.name = 'half'; t.model_spec.signature_name = 'regress_x_to_y'
t.method_name = 'tensorflow/serving/regress'
mr.input.example_list_with_context.examples.extend(many.input.example_list.examples)
mr.input.example_list_with_context.context.features.feature['x'].float_list.value.append(2.0)
c, d, _ = code_of(Multi, mr)
check("multi inference examples", c == grpc.StatusCode.INVALID_ARGUMENT and d == ex_msg)
# a few examples still work
rr = regression_pb2.RegressionRequest()
rr.model_spec.name = 'half'; rr.model_spec.signature_name = 'regress_x_to_y'
for _ in range(3):
    rr.input.example_list.examples.add().features.feature['x'].float_list.value.append(2.0)
check("regress ok", [round(r.value, 5) for r in Regress(rr).result.regressions] == [3.0] * 3)

# peak RSS stayed small, and the server still serves
hwm = vm_kb('VmHWM')
print("VmHWM before %d kB, after %d kB" % (hwm0, hwm))
check("peak RSS under 200 MB", 0 < hwm < 200 * 1024)
resp = Predict(predict_req(('x', [1, 1])))
check("predict after", list(resp.outputs['y'].float_val) == [3.0])
print("%d passed, %d failed" % (passed, failed))
EOF
cat "$WORK/py.out"
check "python client ran" grep -q " 0 failed" "$WORK/py.out"
check "server alive" kill -0 "$TENSORD_PID"
stop_tensord
check "exit 0" [ "$STOP_RC" = 0 ]
summary
