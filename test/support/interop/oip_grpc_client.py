"""Drives tritonclient.grpc, a third-party OIP v2 gRPC client, for the interop tests.

Usage: python oip_grpc_client.py --serve   (one spec per stdin line:
       {"url": "127.0.0.1:PORT", "calls": [{"op": ..., ...}, ...]})
Prints one JSON line per spec: the list of results, one per call, in order.
Runs in the project's MLServer environment, whose pinned set holds everything
tritonclient.grpc imports (grpcio, protobuf, packaging, numpy, python-rapidjson).
Client exceptions are reported as {"ok": false, "exception": class name,
"status": ..., "message": ...}: what the client shows its user.

ops:
  server       -> {live, ready, name, version}
  model_ready  {model, version?} -> {ready}
  metadata     {model, version?} -> {metadata}
  infer        {model, version?, inputs: [{name, datatype, shape, fill}], typed?,
                expect?: {input, output, factor}, headers?}
               -> {model_name, model_version, outputs: {name: {shape, datatype, raw,
                   count, sum, head, sha256}}, input_sha256: {name: hex}, max_abs_error?}
               typed: the inputs go as typed contents (InferTensorContents, built with
               tritonclient's own protobuf classes and sent through its stub) instead
               of raw_input_contents, which tritonclient's InferInput always uses.
  sticky       {model, users, prefix, header, input} -> {versions: {user: model_version}}
  concurrent   {model, n, input, header?} -> {answered, errors: [..], versions: {v: count}, unanswered}
               n calls in flight at once through async_infer.
"""
import hashlib
import json
import sys
import threading

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.grpc import service_pb2
from tritonclient.utils import InferenceServerException

DTYPES = {"FP32": np.float32, "FP64": np.float64, "INT32": np.int32, "INT64": np.int64}
CONTENTS = {"FP32": "fp32_contents", "FP64": "fp64_contents", "INT32": "int_contents", "INT64": "int64_contents"}


def fill(spec):
    shape = spec["shape"]
    dtype = DTYPES[spec["datatype"]]
    if spec.get("fill") == "values":
        return np.array(spec["values"], dtype=dtype).reshape(shape)
    count = int(np.prod(shape))
    return (np.arange(count) % 1000).astype(dtype).reshape(shape)


def output_array(response, index, output):
    """The output tensor, from raw_output_contents or from typed contents."""
    dtype = DTYPES[output.datatype]
    if index < len(response.raw_output_contents):
        return np.frombuffer(response.raw_output_contents[index], dtype=dtype).reshape(list(output.shape)), True
    values = getattr(output.contents, CONTENTS[output.datatype])
    return np.array(values, dtype=dtype).reshape(list(output.shape)), False


def infer(client, spec):
    arrays = {s["name"]: fill(s) for s in spec["inputs"]}
    headers = spec.get("headers")
    if spec.get("typed"):
        request = service_pb2.ModelInferRequest(model_name=spec["model"], model_version=spec.get("version", ""))
        for s in spec["inputs"]:
            tensor = request.inputs.add(name=s["name"], datatype=s["datatype"], shape=s["shape"])
            getattr(tensor.contents, CONTENTS[s["datatype"]]).extend(arrays[s["name"]].reshape(-1).tolist())
        response = client._client_stub.ModelInfer(request=request, metadata=tuple((headers or {}).items()))
    else:
        inputs = []
        for s in spec["inputs"]:
            inp = grpcclient.InferInput(s["name"], list(arrays[s["name"]].shape), s["datatype"])
            inp.set_data_from_numpy(arrays[s["name"]])
            inputs.append(inp)
        response = client.infer(spec["model"], inputs, model_version=spec.get("version", ""), headers=headers).get_response()
    out = {"model_name": response.model_name, "model_version": response.model_version, "outputs": {},
           "input_sha256": {n: hashlib.sha256(a.tobytes()).hexdigest() for n, a in arrays.items()}}
    got = {}
    for i, o in enumerate(response.outputs):
        arr, raw = output_array(response, i, o)
        got[o.name] = arr
        flat = arr.reshape(-1)
        out["outputs"][o.name] = {"shape": list(arr.shape), "datatype": o.datatype, "raw": raw, "count": int(flat.size),
                                  "sum": float(flat.astype(np.float64).sum()), "head": [float(v) for v in flat[:8]],
                                  "sha256": hashlib.sha256(arr.tobytes()).hexdigest()}
    expect = spec.get("expect")
    if expect:
        y = got[expect["output"]].astype(np.float64)
        want = arrays[expect["input"]].astype(np.float64) * expect["factor"]
        out["max_abs_error"] = float(np.max(np.abs(y - want))) if y.shape == want.shape else None
    return out


def one_input(spec):
    inp = grpcclient.InferInput(spec["input"]["name"], spec["input"]["shape"], spec["input"]["datatype"])
    inp.set_data_from_numpy(fill(spec["input"]))
    return inp


def sticky(client, spec):
    versions = {}
    inp = one_input(spec)
    for i in range(spec["users"]):
        user = f'{spec["prefix"]}{i}'
        r = client.infer(spec["model"], [inp], headers={spec["header"]: user})
        versions[user] = r.get_response().model_version
    return {"versions": versions}


def concurrent(client, spec):
    n = spec["n"]
    inp = one_input(spec)
    done = threading.Event()
    lock = threading.Lock()
    state = {"left": n, "answered": 0, "errors": [], "versions": {}}

    def callback(result, error):
        with lock:
            if error is not None:
                state["errors"].append(f"{error.status()}: {error.message()}")
            else:
                state["answered"] += 1
                v = result.get_response().model_version
                state["versions"][v] = state["versions"].get(v, 0) + 1
            state["left"] -= 1
            if state["left"] == 0:
                done.set()

    for i in range(n):
        headers = {spec["header"]: f"user-{i}"} if spec.get("header") else None
        client.async_infer(spec["model"], [inp], callback, headers=headers)
    done.wait(120)
    return {"answered": state["answered"], "errors": state["errors"], "versions": state["versions"], "unanswered": state["left"]}


def call(client, spec):
    op = spec["op"]
    try:
        if op == "server":
            meta = client.get_server_metadata()
            result = {"live": client.is_server_live(), "ready": client.is_server_ready(), "name": meta.name, "version": meta.version}
        elif op == "model_ready":
            result = {"ready": client.is_model_ready(spec["model"], model_version=spec.get("version", ""))}
        elif op == "metadata":
            result = {"metadata": client.get_model_metadata(spec["model"], model_version=spec.get("version", ""), as_json=True)}
        elif op == "infer":
            result = infer(client, spec)
        elif op == "sticky":
            result = sticky(client, spec)
        elif op == "concurrent":
            result = concurrent(client, spec)
        else:
            raise SystemExit(f"unknown op {op!r}")
        return {"ok": True, **result}
    except InferenceServerException as e:
        return {"ok": False, "exception": type(e).__name__, "status": e.status(), "message": e.message()}
    except Exception as e:  # the stub raises grpc.RpcError for the typed path
        if hasattr(e, "code") and hasattr(e, "details"):
            return {"ok": False, "exception": type(e).__name__, "status": str(e.code()), "message": e.details()}
        raise


def run(spec):
    client = grpcclient.InferenceServerClient(url=spec["url"])
    try:
        return [call(client, c) for c in spec["calls"]]
    finally:
        client.close()


def main():
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(run(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
