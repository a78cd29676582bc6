"""KServe's Python model server hosting one tiny model for the interop tests.

Usage: python kserve_scale.py --http_port N --model_name NAME [--factor F]
       [--enable_grpc true --grpc_port M]
Output "y" is input "x" times the factor. KServe speaks the binary tensor
extension (Inference-Header-Content-Length) both ways; binary outputs are sent
when the request asks for them (binary_data_output or per-output binary_data).
With --enable_grpc false only the HTTP port is bound. Both listen on
127.0.0.1: KServe 0.21 hard-codes 0.0.0.0 for uvicorn and [::] for gRPC, so
its uvicorn Config and grpc.aio's server are wrapped below.
"""
import argparse

import grpc
import numpy as np
import uvicorn
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer
from kserve import model_server

_UvicornConfig = uvicorn.Config


class LoopbackConfig(_UvicornConfig):
    def __init__(self, *args, **kwargs):
        kwargs["host"] = "127.0.0.1"
        super().__init__(*args, **kwargs)


uvicorn.Config = LoopbackConfig

_aio_server = grpc.aio.server


def loopback_grpc_server(*args, **kwargs):
    server = _aio_server(*args, **kwargs)
    add = server.add_insecure_port
    server.add_insecure_port = lambda address: add(address.replace("[::]", "127.0.0.1"))
    return server


grpc.aio.server = loopback_grpc_server

own = argparse.ArgumentParser(parents=[model_server.parser], conflict_handler="resolve")
own.add_argument("--model_name", required=True)
own.add_argument("--factor", type=float, default=1.0)


class Scale(Model):
    def __init__(self, name: str, factor: float):
        super().__init__(name)
        self.factor = np.float32(factor)
        self.ready = True

    async def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
        x = payload.inputs[0].as_numpy().astype(np.float32)
        out = InferOutput(name="y", shape=list(x.shape), datatype="FP32")
        out.set_data_from_numpy((x * self.factor).astype(np.float32), binary_data=False)
        return InferResponse(
            response_id=payload.id or "",
            model_name=self.name,
            infer_outputs=[out],
            use_binary_outputs=payload.use_binary_outputs,
            requested_outputs=payload.request_outputs,
        )


if __name__ == "__main__":
    args, _ = own.parse_known_args()
    ModelServer(http_port=args.http_port, grpc_port=args.grpc_port, enable_grpc=args.enable_grpc, workers=1).start([Scale(args.model_name, args.factor)])
