"""Drives tritonclient[http], a third-party OIP v2 client, for the interop tests.

Usage: python oip_client.py '{"url": "127.0.0.1:PORT", "calls": [{"op": ..., ...}, ...]}'
   (with "ca_certs": "FILE" the client speaks HTTPS and verifies the server against FILE)
   or: python oip_client.py --serve   (one such spec per stdin line)
Prints one JSON line per spec: the list of results, one per call, in order
(importing the client takes seconds, so a test keeps one process). Client exceptions are
caught and reported as
{"ok": false, "exception": class name, "status": ..., "message": ...} so a test
can assert on what the client showed its user; when the client fails to read an
error answer, the failure is reported in the same shape (exception TypeError,
say); anything else is a crash of the script.

ops:
  server      -> {live, ready}
  model_ready {model, version?} -> {ready}
  metadata    {model, version?} -> {metadata}
  infer       {model, version?, inputs: [{name, datatype, shape, fill, binary}],
               outputs?: [{name, binary}], compression?: "gzip"|"deflate",
               expect?: {input, output, factor}, headers?}
              -> {model_name, model_version, outputs: {name: {shape, datatype,
                  binary_data_size, count, sum, head}}, max_abs_error?}
  post_raw    {path, body, headers?} -> the client's own error reader on a raw POST
"""
import json
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

DTYPES = {"FP32": np.float32, "FP64": np.float64, "INT32": np.int32, "INT64": np.int64}


def fill(spec):
    shape = spec["shape"]
    dtype = DTYPES[spec["datatype"]]
    how = spec.get("fill", "arange")
    if how == "zeros":
        return np.zeros(shape, dtype=dtype)
    if how == "values":
        return np.array(spec["values"], dtype=dtype).reshape(shape)
    count = int(np.prod(shape))
    return (np.arange(count) % 1000).astype(dtype).reshape(shape)


def summary(array, raw_output):
    params = raw_output.get("parameters") or {}
    flat = array.reshape(-1)
    return {
        "shape": list(array.shape),
        "datatype": raw_output.get("datatype"),
        "binary_data_size": params.get("binary_data_size"),
        "count": int(flat.size),
        "sum": float(flat.astype(np.float64).sum()),
        "head": [float(v) for v in flat[:8]],
    }


def infer(client, spec):
    arrays = {}
    inputs = []
    for s in spec["inputs"]:
        arr = fill(s)
        arrays[s["name"]] = arr
        inp = httpclient.InferInput(s["name"], list(arr.shape), s["datatype"])
        inp.set_data_from_numpy(arr, binary_data=bool(s.get("binary", False)))
        inputs.append(inp)
    outputs = [httpclient.InferRequestedOutput(o["name"], binary_data=bool(o.get("binary", False))) for o in spec.get("outputs", [])]
    result = client.infer(
        spec["model"],
        inputs,
        model_version=spec.get("version", ""),
        outputs=outputs or None,
        request_compression_algorithm=spec.get("compression"),
        headers=spec.get("headers"),
    )
    response = result.get_response()
    out = {"model_name": response.get("model_name"), "model_version": response.get("model_version"), "outputs": {}}
    for raw in response.get("outputs", []):
        out["outputs"][raw["name"]] = summary(result.as_numpy(raw["name"]), raw)
    expect = spec.get("expect")
    if expect:
        got = result.as_numpy(expect["output"]).astype(np.float64)
        want = arrays[expect["input"]].astype(np.float64) * expect["factor"]
        out["max_abs_error"] = float(np.max(np.abs(got - want))) if got.shape == want.shape else None
    return out


def post_raw(client, spec):
    headers = {"Content-Type": "application/json", **spec.get("headers", {})}
    response = client._post(spec["path"], spec["body"].encode("utf-8"), headers, None)
    # The client's own reader of error answers, as infer() and the others use it.
    httpclient._utils._raise_if_error(response)
    return {"status": response.status_code}


def call(client, spec):
    op = spec["op"]
    try:
        if op == "server":
            result = {"live": client.is_server_live(), "ready": client.is_server_ready()}
        elif op == "model_ready":
            result = {"ready": client.is_model_ready(spec["model"], model_version=spec.get("version", ""))}
        elif op == "metadata":
            result = {"metadata": client.get_model_metadata(spec["model"], model_version=spec.get("version", ""))}
        elif op == "infer":
            result = infer(client, spec)
        elif op == "post_raw":
            result = post_raw(client, spec)
        else:
            raise SystemExit(f"unknown op {op!r}")
        return {"ok": True, **result}
    except InferenceServerException as e:
        return report(e)


def report(e):
    """What the client shows its user for an error answer; a failure while reading it is reported too."""
    message = e.message()
    try:
        text = str(e)
    except Exception as crash:  # e.g. TypeError on a non-string "error" (issue 9)
        return {"ok": False, "exception": type(crash).__name__, "status": e.status(), "message": repr(crash), "message_type": "crash", "text": repr(message)}
    return {
        "ok": False,
        "exception": type(e).__name__,
        "status": e.status(),
        "message": message if isinstance(message, str) else repr(message),
        "message_type": type(message).__name__,
        "text": text,
    }


def run(spec):
    # "ca_certs": the gateway serves HTTPS; verify its certificate against this CA file.
    ca = spec.get("ca_certs")
    client = httpclient.InferenceServerClient(
        url=spec["url"],
        network_timeout=spec.get("network_timeout_s", 30.0),
        ssl=ca is not None,
        ssl_options={"ca_certs": ca} if ca is not None else None,
    )
    try:
        return [call(client, c) for c in spec["calls"]]
    finally:
        client.close()


def main():
    if sys.argv[1:] == ["--serve"]:
        # One spec per input line, one result line per spec: a test pays the import once.
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(run(json.loads(line))), flush=True)
    else:
        print(json.dumps(run(json.loads(sys.argv[1]))))


if __name__ == "__main__":
    main()
