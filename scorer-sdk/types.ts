// Wire types of the Open Inference Protocol (KServe v2) REST API.
// https://kserve.github.io/website/docs/concepts/architecture/data-plane/v2-protocol

/** Tensor datatypes of OIP v2 ("Tensor Data Types" table of the spec). */
export const DATATYPES = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64',
  'FP16', 'FP32', 'FP64', 'BYTES'
] as const

export type Datatype = (typeof DATATYPES)[number]

/** Flat, row-major tensor contents. */
export type TensorData = number[] | boolean[] | string[]

/** Tensor contents as a client may send them: flat or nested (row-major). */
export type NestedTensorData = ReadonlyArray<number | boolean | string | NestedTensorData>

export type Parameters = Record<string, unknown>

/** A tensor with flat data: what predict() receives and returns. */
export interface Tensor {
  name: string
  shape: number[]
  datatype: Datatype
  data: TensorData
  parameters?: Parameters
}

/** An input tensor in an inference request sent by a client. */
export interface RequestTensor {
  name: string
  shape: readonly number[]
  datatype: Datatype
  data: NestedTensorData
  parameters?: Parameters
}

/** `$metadata_tensor`: -1 in `shape` marks a variable-size dimension. */
export interface TensorMetadata {
  name: string
  datatype: Datatype
  shape: number[]
}

/** An input the model declares; requests are validated against it. */
export interface InputSpec extends TensorMetadata {
  /**
   * Datatypes accepted besides `datatype` (for example FP32 where FP64 is
   * declared). Not part of the OIP metadata response.
   */
  alsoAccept?: readonly Datatype[]
}

/** `$inference_request` */
export interface InferenceRequest {
  id?: string
  parameters?: Parameters
  inputs: RequestTensor[]
  outputs?: Array<{ name: string; parameters?: Parameters }>
}

/** `$inference_response` */
export interface InferenceResponse {
  model_name: string
  model_version?: string
  id?: string
  parameters?: Parameters
  outputs: Tensor[]
}

/** `$metadata_model_response` */
export interface ModelMetadata {
  name: string
  versions: string[]
  platform: string
  inputs?: TensorMetadata[]
  outputs?: TensorMetadata[]
}

/** `$metadata_server_response` */
export interface ServerMetadata {
  name: string
  version: string
  extensions: string[]
}

/** `$inference_error_response` (and every other OIP error body). */
export interface OipErrorBody {
  error: string
}
