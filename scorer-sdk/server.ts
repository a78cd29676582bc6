import { createServer } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { InvalidInputError, parseInferenceRequest } from './validate.js'
import type { InputSpec, ModelMetadata, Parameters, ServerMetadata, Tensor, TensorMetadata } from './types.js'

export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
/** Longer than the 60 s idle timeout of common load balancers and proxies, so they close first. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 65_000
export const DEFAULT_PLATFORM = 'scorer-sdk-node'
/** In-flight requests get this long to finish after close() before their sockets are cut. */
export const CLOSE_GRACE_MS = 5_000

export const SERVER_NAME = 'scorer-sdk'
export const SERVER_VERSION = '0.1.0'

export interface PredictContext {
  /** The request's `id`, else its `x-request-id` header. */
  id: string | undefined
  /** Request-level `parameters`. */
  parameters: Parameters | undefined
  /** The model version this server serves. */
  version: string
}

export type PredictResult = Tensor[] | Promise<Tensor[]>

/**
 * Receives validated inputs (data flattened to row-major order) and returns the
 * output tensors. Throw InvalidInputError for a 400; any other throw is a 500.
 */
export type PredictFn = (inputs: Tensor[], context: PredictContext) => PredictResult

export interface ServeOptions {
  name: string
  version: string
  predict: PredictFn
  host?: string
  /** 0 (the default) picks a free port. */
  port?: number
  /** Model and server readiness; default always ready. */
  ready?: () => boolean
  platform?: string
  /** Declared inputs: requests are validated against them and they appear in the metadata. */
  inputs?: readonly InputSpec[]
  /** Declared outputs, for the metadata. */
  outputs?: readonly TensorMetadata[]
  maxBodyBytes?: number
  keepAliveTimeoutMs?: number
  /**
   * Serve HTTPS with this certificate and key (PEM). With `clientCa`, a client
   * must present a certificate signed by it (mutual TLS), e.g. the gateway's.
   */
  tls?: { cert: Buffer | string, key: Buffer | string, clientCa?: Buffer | string }
}

export interface ScorerServer {
  url: string
  port: number
  close(): Promise<void>
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void
interface Route { method: 'GET' | 'POST'; handle: Handler }

const JSON_TYPE = 'application/json'

function send (res: ServerResponse, status: number, payload: unknown, requestId: string | undefined): void {
  const body = JSON.stringify(payload)
  const headers: Record<string, string | number> = { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) }
  if (requestId !== undefined) headers['x-request-id'] = requestId
  res.writeHead(status, headers)
  res.end(body)
}

function headerValue (req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

function errorMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function describeMiss (path: string): string {
  const parts = path.split('/')
  // ['', 'v2', 'models', name, ('versions', version)?, ...]
  if (parts[1] === 'v2' && parts[2] === 'models' && parts[3] !== undefined && parts[3] !== '') {
    const name = decodeURIComponent(parts[3])
    if (parts[4] === 'versions' && parts[5] !== undefined) return `model '${name}' version '${decodeURIComponent(parts[5])}' not found`
    return `model '${name}' not found`
  }
  return `no route for ${path}`
}

/**
 * Starts an OIP v2 REST server for one model version on plain node:http.
 * Routes are matched by exact path, computed once, so a request costs one Map
 * lookup before the body is read.
 */
export async function serve (options: ServeOptions): Promise<ScorerServer> {
  const {
    name, version, predict, host = DEFAULT_HOST, port = 0, ready = () => true,
    platform = DEFAULT_PLATFORM, inputs, outputs,
    maxBodyBytes = DEFAULT_MAX_BODY_BYTES, keepAliveTimeoutMs = DEFAULT_KEEP_ALIVE_TIMEOUT_MS
  } = options
  if (typeof name !== 'string' || name === '') throw new TypeError('serve: name must be a non-empty string')
  if (typeof version !== 'string' || version === '') throw new TypeError('serve: version must be a non-empty string')
  if (typeof predict !== 'function') throw new TypeError('serve: predict must be a function')
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) throw new TypeError('serve: maxBodyBytes must be a positive integer')

  const metadata: ModelMetadata = { name, versions: [version], platform }
  if (inputs !== undefined) metadata.inputs = inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape }))
  if (outputs !== undefined) metadata.outputs = outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape }))
  const metadataBody = JSON.stringify(metadata)
  const serverMetadata: ServerMetadata = { name: SERVER_NAME, version: SERVER_VERSION, extensions: [] }
  const context = { version }

  const runPredict = (tensors: Tensor[], ctx: PredictContext, outputNames: string[] | undefined,
    res: ServerResponse, requestId: string | undefined): void => {
    const reply = (result: Tensor[]): void => {
      if (!Array.isArray(result)) return fail(new Error('predict must return an array of output tensors'))
      let out = result
      if (outputNames !== undefined) {
        out = []
        for (const wanted of outputNames) {
          const found = result.find((t) => t.name === wanted)
          if (found === undefined) return send(res, 400, { error: `unknown output '${wanted}'` }, requestId)
          out.push(found)
        }
      }
      send(res, 200, { model_name: name, model_version: version, id: ctx.id, outputs: out }, requestId)
    }
    const fail = (err: unknown): void => {
      if (res.headersSent) return
      send(res, err instanceof InvalidInputError ? 400 : 500, { error: errorMessage(err) }, requestId)
    }
    let result: PredictResult
    try {
      result = predict(tensors, ctx)
    } catch (err) {
      return fail(err)
    }
    // Synchronous models answer without a promise round trip.
    if (Array.isArray(result)) return reply(result)
    if (typeof (result as Partial<Promise<Tensor[]>> | undefined)?.then !== 'function') return reply(result as never)
    result.then(reply, fail)
  }

  const infer: Handler = (req, res) => {
    const requestId = headerValue(req, 'x-request-id')
    const declared = req.headers['content-length']
    if (declared !== undefined && Number(declared) > maxBodyBytes) {
      // Close rather than drain a body we will not read.
      res.setHeader('connection', 'close')
      return send(res, 413, { error: `request body exceeds ${maxBodyBytes} bytes` }, requestId)
    }
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = false
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return
      size += chunk.length
      if (size > maxBodyBytes) {
        tooLarge = true
        res.setHeader('connection', 'close')
        send(res, 413, { error: `request body exceeds ${maxBodyBytes} bytes` }, requestId)
        return
      }
      chunks.push(chunk)
    })
    req.on('error', () => { /* client went away; nothing to answer */ })
    req.on('end', () => {
      if (tooLarge) return
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)
      let body: unknown
      try {
        body = JSON.parse(raw.toString('utf8'))
      } catch (err) {
        return send(res, 400, { error: `malformed JSON: ${errorMessage(err)}` }, requestId)
      }
      let parsed
      try {
        parsed = parseInferenceRequest(body, inputs)
      } catch (err) {
        return send(res, err instanceof InvalidInputError ? 400 : 500, { error: errorMessage(err) }, requestId)
      }
      if (!ready()) return send(res, 503, { error: `model '${name}' is not ready` }, requestId)
      const ctx: PredictContext = { id: parsed.id ?? requestId, parameters: parsed.parameters, version: context.version }
      runPredict(parsed.inputs, ctx, parsed.outputNames, res, requestId)
    })
  }

  const modelMetadata: Handler = (req, res) => {
    const requestId = headerValue(req, 'x-request-id')
    const headers: Record<string, string | number> = { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(metadataBody) }
    if (requestId !== undefined) headers['x-request-id'] = requestId
    res.writeHead(200, headers)
    res.end(metadataBody)
  }
  // Health answers are carried by the status code (OIP "Health" section); the body is informative.
  const modelReady: Handler = (req, res) => {
    const ok = ready()
    send(res, ok ? 200 : 503, { name, ready: ok }, headerValue(req, 'x-request-id'))
  }
  const live: Handler = (req, res) => send(res, 200, { live: true }, headerValue(req, 'x-request-id'))
  const serverReady: Handler = (req, res) => {
    const ok = ready()
    send(res, ok ? 200 : 503, { ready: ok }, headerValue(req, 'x-request-id'))
  }
  const serverMeta: Handler = (req, res) => send(res, 200, serverMetadata, headerValue(req, 'x-request-id'))

  const base = `/v2/models/${encodeURIComponent(name)}`
  const versioned = `${base}/versions/${encodeURIComponent(version)}`
  const routes = new Map<string, Route>([
    [`${base}/infer`, { method: 'POST', handle: infer }],
    [`${versioned}/infer`, { method: 'POST', handle: infer }],
    [base, { method: 'GET', handle: modelMetadata }],
    [versioned, { method: 'GET', handle: modelMetadata }],
    [`${base}/ready`, { method: 'GET', handle: modelReady }],
    [`${versioned}/ready`, { method: 'GET', handle: modelReady }],
    ['/v2/health/live', { method: 'GET', handle: live }],
    ['/v2/health/ready', { method: 'GET', handle: serverReady }],
    ['/v2', { method: 'GET', handle: serverMeta }]
  ])

  function onRequest (req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    const route = routes.get(path)
    if (route === undefined) return send(res, 404, { error: describeMiss(path) }, headerValue(req, 'x-request-id'))
    if (req.method !== route.method) {
      res.setHeader('allow', route.method)
      return send(res, 405, { error: `method ${req.method ?? ''} not allowed on ${path}; use ${route.method}` }, headerValue(req, 'x-request-id'))
    }
    route.handle(req, res)
  }
  const tls = options.tls
  const server = tls === undefined
    ? createServer(onRequest)
    : createTlsServer({ cert: tls.cert, key: tls.key, ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }) }, onRequest)
  // An oversized upload announced with "Expect: 100-continue" is refused
  // before the client sends it (RFC 9110 section 10.1.1).
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const declared = req.headers['content-length']
    if (declared === undefined || Number(declared) <= maxBodyBytes) res.writeContinue()
    onRequest(req, res)
  })
  server.keepAliveTimeout = keepAliveTimeoutMs
  // Must exceed keepAliveTimeout, or a request arriving on an idle socket can be cut (nodejs/node#27363).
  server.headersTimeout = keepAliveTimeoutMs + 1_000

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const actualPort = (server.address() as AddressInfo).port
  const urlHost = host.includes(':') ? `[${host}]` : host

  let closing: Promise<void> | undefined
  return {
    url: `${tls === undefined ? 'http' : 'https'}://${urlHost}:${actualPort}`,
    port: actualPort,
    close () {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS)
        force.unref()
        server.close(() => {
          clearTimeout(force)
          resolve()
        })
        server.closeIdleConnections()
      })
      return closing
    }
  }
}
