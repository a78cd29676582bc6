import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import * as grpc from '@grpc/grpc-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js'
import { rpcPath } from '../../proto/oip-proto.js'

// grpc.tls: the gRPC listener serves TLS with the configured certificate (a
// self-signed one made here with openssl for 127.0.0.1), and a client that
// trusts it gets answers; a plaintext client does not.

let dir: string
let gw: GatewayProcess
let cert: Buffer

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grpc-tls-'))
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')])
  cert = await readFile(join(dir, 'cert.pem'))
  gw = await startGatewayProcess({
    grpc: { enabled: true, tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } },
    models: { m: { versions: { v1: { replicas: ['grpc://127.0.0.1:1'] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false } } }
  })
})
afterAll(async () => {
  await gw?.stop()
  await rm(dir, { recursive: true, force: true })
})

function serverLive (creds: grpc.ChannelCredentials): Promise<{ code: number, value: Buffer | undefined }> {
  const client = new grpc.Client(gw.grpcTarget!, creds)
  const identity = (b: Buffer): Buffer => b
  return new Promise<{ code: number, value: Buffer | undefined }>((resolve) => {
    client.makeUnaryRequest<Buffer, Buffer>(rpcPath('ServerLive'), identity, identity, Buffer.alloc(0), new grpc.Metadata(), { deadline: Date.now() + 5_000 }, (err, value) => {
      resolve({ code: err?.code ?? 0, value })
    })
  }).finally(() => { client.close() })
}

describe('gRPC listener with TLS', () => {
  it('answers ServerLive (live = true) to a client that trusts its certificate', async () => {
    expect(await serverLive(grpc.credentials.createSsl(cert))).toEqual({ code: 0, value: Buffer.from([0x08, 0x01]) })
  })

  it('gives a plaintext (h2c) client no answer: UNAVAILABLE', async () => {
    expect((await serverLive(grpc.credentials.createInsecure())).code).toBe(grpc.status.UNAVAILABLE)
  })
})
