import { startPythonClient, type PythonClient, type TensorSpec } from './oip-client.js'

// Runs tritonclient.grpc, the gRPC side of Triton's widely used OIP v2 client,
// from the project's pinned Python environment (test/support/interop/
// oip_grpc_client.py says what each call does). Pass the gateway's gRPC
// listener as grpc://host:port.

export interface GrpcInferSpec {
  model: string
  version?: string
  inputs: TensorSpec[]
  /** Send typed contents instead of raw_input_contents. */
  typed?: boolean
  headers?: Record<string, string>
  expect?: { input: string, output: string, factor: number }
}

export type GrpcClientCall =
  | { op: 'server' }
  | { op: 'model_ready', model: string, version?: string }
  | { op: 'metadata', model: string, version?: string }
  | ({ op: 'infer' } & GrpcInferSpec)
  | { op: 'sticky', model: string, users: number, prefix: string, header: string, input: TensorSpec }
  | { op: 'concurrent', model: string, n: number, input: TensorSpec, header?: string }

export interface GrpcOutputSummary {
  shape: number[]
  datatype: string
  /** Came as raw_output_contents (else typed contents). */
  raw: boolean
  count: number
  sum: number
  head: number[]
  sha256: string
}

export interface GrpcInferOk {
  ok: true
  model_name: string
  model_version: string
  outputs: Record<string, GrpcOutputSummary>
  input_sha256: Record<string, string>
  max_abs_error?: number | null
}

export function startGrpcInteropClient (): Promise<PythonClient<GrpcClientCall>> {
  return startPythonClient<GrpcClientCall>('oip_grpc_client.py')
}
