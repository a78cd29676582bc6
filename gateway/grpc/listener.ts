/**
 * The gRPC listener: `inference.GRPCInferenceService` on its own port, h2c or
 * TLS, served by @grpc/grpc-js. Every method is registered with identity
 * (de)serializers, so grpc-js hands over and sends the message bytes as they
 * are; the handlers read only the fields they need (forward.ts,
 * server-rpcs.ts). ModelStreamInfer and the model repository calls answer
 * UNIMPLEMENTED with the catalogue's message: streams are not routed.
 */
import { readFileSync } from 'node:fs'
import * as grpc from '@grpc/grpc-js'
import { ConfigError, type GatewayConfig } from '../config/load.js'
import { rpcPath } from '../../proto/oip-proto.js'
import { tuneServer } from '../../proto/server-tuning.js'
import { GrpcForwarder, type GrpcForwardDeps } from './forward.js'
import { notImplemented, serverRpcs } from './server-rpcs.js'

const identity = (b: Buffer): Buffer => b

function method (name: string, stream = false): grpc.MethodDefinition<Buffer, Buffer> {
  return { path: rpcPath(name), requestStream: stream, responseStream: stream, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity, originalName: name }
}

const UNARY = ['ServerLive', 'ServerReady', 'ModelReady', 'ServerMetadata', 'ModelMetadata', 'ModelInfer', 'RepositoryModelLoad', 'RepositoryModelUnload'] as const
const SERVICE: grpc.ServiceDefinition = Object.fromEntries([...UNARY.map(n => [n, method(n)]), ['ModelStreamInfer', method('ModelStreamInfer', true)]])

export interface GrpcListener {
  readonly port: number
  /** Stops accepting calls, lets calls in flight finish for up to `timeoutMs`, then cuts the rest. */
  close (timeoutMs: number): Promise<void>
}

export interface GrpcListenerDeps extends GrpcForwardDeps {
  config: GatewayConfig
}

export async function startGrpcListener (deps: GrpcListenerDeps, port: number): Promise<GrpcListener> {
  const { config } = deps
  const maxMessage = Math.max(config.bodyLimitBytes, ...Object.values(config.models).map(m => m.bodyLimitBytes))
  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxMessage,
    'grpc.max_send_message_length': -1,
    // Channelz keeps per-call statistics and traces for an introspection service the gateway does not serve.
    'grpc.enable_channelz': 0
  })
  const forward = new GrpcForwarder(deps)
  const refuse = 'the gateway routes unary calls; use ModelInfer'
  server.addService(SERVICE, {
    ...serverRpcs(deps.router, deps.lifecycle),
    ModelMetadata: forward.metadata,
    ModelInfer: forward.infer,
    ModelStreamInfer: notImplemented('ModelStreamInfer', refuse),
    RepositoryModelLoad: notImplemented('RepositoryModelLoad', 'models are registered through the admin API'),
    RepositoryModelUnload: notImplemented('RepositoryModelUnload', 'models are registered through the admin API')
  } as unknown as grpc.UntypedServiceImplementation)
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${config.grpc.host}:${port}`, credentials(config), (err, p) => { if (err === null) resolve(p); else reject(err) })
  })
  tuneServer(server)
  let closing: Promise<void> | undefined
  return {
    port: bound,
    close (timeoutMs) {
      closing ??= new Promise<void>((resolve) => {
        const deadline = setTimeout(() => { server.forceShutdown(); resolve() }, timeoutMs)
        server.tryShutdown(() => { clearTimeout(deadline); resolve() })
      })
      return closing
    }
  }
}

function credentials (config: GatewayConfig): grpc.ServerCredentials {
  const tls = config.grpc.tls
  if (tls === undefined) return grpc.ServerCredentials.createInsecure()
  const read = (key: 'certFile' | 'keyFile'): Buffer => {
    try {
      return readFileSync(tls[key])
    } catch (err) {
      throw new ConfigError(config.file, `grpc.tls.${key}`, `cannot read ${tls[key]} (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
    }
  }
  return grpc.ServerCredentials.createSsl(null, [{ cert_chain: read('certFile'), private_key: read('keyFile') }], false)
}
