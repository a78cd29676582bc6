/**
 * answer: the one responder. The raw inference path and every fastify route
 * (metadata, readiness, health, 404, 405, framework errors) write through these
 * functions, so every answer carries `x-request-id`, `x-model-version` wherever
 * a version is known, and errors have the one shape of gateway/errors.ts.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { FALLBACK_HEADER, REQUEST_ID_HEADER, VERSION_HEADER } from '../config/defaults.js'
import { parserErrorResponse, type GatewayError } from '../errors.js'

const MAX_REQUEST_ID_LENGTH = 128
const JSON_CONTENT_TYPE = 'application/json'

/** Per-answer facts the responder adds as headers. */
export interface AnswerContext {
  requestId: string
  /** The version that served or was chosen; null when none is known. */
  version: string | null
  /** The stable version stood in for the chosen one. */
  fallback: boolean
  /** Ask the client not to reuse the connection (the gateway is closing, or the body was not read). */
  close: boolean
}

/** The client's x-request-id when it is usable, else a new UUID. */
export function requestIdOf (req: IncomingMessage): string {
  const id = req.headers[REQUEST_ID_HEADER]
  return typeof id === 'string' && id.length !== 0 && id.length <= MAX_REQUEST_ID_LENGTH ? id : randomUUID()
}

/**
 * Writes a complete answer. `headers` is a flat [name, value, …] list the caller
 * may have filled already (a model's response headers); it is extended in place.
 */
export function answer (res: ServerResponse, status: number, headers: string[], body: Buffer | string, ctx: AnswerContext): void {
  if (res.headersSent || res.destroyed) {
    res.destroy()
    return
  }
  headers.push(REQUEST_ID_HEADER, ctx.requestId, 'content-length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.length))
  if (ctx.version !== null) headers.push(VERSION_HEADER, ctx.version)
  if (ctx.fallback) headers.push(FALLBACK_HEADER, 'stable')
  // Closing: tell the client not to reuse this connection, so closing it later races no new request.
  if (ctx.close) headers.push('connection', 'close')
  res.writeHead(status, headers)
  res.end(body)
}

export function answerJson (res: ServerResponse, status: number, value: unknown, ctx: AnswerContext, extra?: string[]): void {
  const headers = ['content-type', JSON_CONTENT_TYPE]
  if (extra !== undefined) headers.push(...extra)
  answer(res, status, headers, JSON.stringify(value), ctx)
}

/** An error in the one shape, with the headers its catalogue entry names (retry-after, www-authenticate). */
export function answerError (res: ServerResponse, e: GatewayError, ctx: AnswerContext, extra?: string[]): void {
  answerJson(res, e.statusCode, e.toJSON(), ctx, e.headers === undefined ? extra : extra === undefined ? e.headers : [...e.headers, ...extra])
}

/**
 * Answers requests node's HTTP parser refuses before any handler runs (headers
 * over the limit, malformed request lines) in the same error shape, instead of
 * node's or fastify's own bodies. Used as fastify's `clientErrorHandler`.
 */
export function answerClientError (err: Error & { code?: string }, socket: Duplex): void {
  if (socket.writable) socket.end(parserErrorResponse(err.code, randomUUID()))
  else socket.destroy()
}
