export { serve, DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_KEEP_ALIVE_TIMEOUT_MS, DEFAULT_PLATFORM } from './server.js'
export type { ServeOptions, ScorerServer, PredictFn, PredictContext, PredictResult } from './server.js'
export { serveGrpc } from './grpc-server.js'
export type { ScorerGrpcServer } from './grpc-server.js'
export {
  ScorerClient, parseRetryAfter, DEFAULT_TIMEOUT_MS, DEFAULT_RETRIES, DEFAULT_BACKOFF_MS,
  DEFAULT_MAX_RETRY_DELAY_MS, DEFAULT_STICKY_HEADER
} from './client.js'
export type { ScorerClientOptions, InferOptions, InferResult, Outcome } from './client.js'
export { ScorerError, ScorerTimeoutError, ScorerConnectionError, ERROR_CODES } from './errors.js'
export type { ScorerErrorOptions } from './errors.js'
export { InvalidInputError, parseInferenceRequest } from './validate.js'
export type { ParsedInferenceRequest } from './validate.js'
export { DATATYPES } from './types.js'
export type {
  Datatype, TensorData, NestedTensorData, Parameters, Tensor, RequestTensor, TensorMetadata, InputSpec,
  InferenceRequest, InferenceResponse, ModelMetadata, ServerMetadata, OipErrorBody
} from './types.js'
