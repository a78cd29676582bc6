"""A tiny MLServer runtime for the interop tests: no weights, no download.

Output "y" is input "x" times a factor from the model settings
(parameters.extra.factor), so an answer tells which version computed it.
parameters.extra.delay_s makes every inference that slow (the upstream-timeout
test needs a model slower than the gateway's deadline).
"""
import asyncio

import numpy as np
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse, MetadataTensor


class ScaleModel(MLModel):
    async def load(self) -> bool:
        extra = (self.settings.parameters.extra if self.settings.parameters else None) or {}
        self._factor = float(extra.get("factor", 1))
        self._delay_s = float(extra.get("delay_s", 0))
        self.inputs = [MetadataTensor(name="x", datatype="FP32", shape=[-1, -1])]
        self.outputs = [MetadataTensor(name="y", datatype="FP32", shape=[-1, -1])]
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        if self._delay_s > 0:
            await asyncio.sleep(self._delay_s)
        x = NumpyCodec.decode_input(payload.inputs[0]).astype(np.float32)
        y = (x * np.float32(self._factor)).astype(np.float32)
        return InferenceResponse(
            model_name=self.name,
            model_version=self.version,
            id=payload.id,
            outputs=[NumpyCodec.encode_output(name="y", payload=y)],
        )
