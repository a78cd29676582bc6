import { describe, expect, it } from 'vitest'
import { GatewayError } from '../../gateway/errors.js'
import type { ReplicaFeedback } from '../../gateway/proxy/feedback.js'
import type { Replica } from '../../gateway/proxy/replica.js'
import { requestDeadline, retryOnAnotherReplica, type RetryCircumstances } from '../../gateway/proxy/retry-policy.js'
import type { Model, Version } from '../../gateway/proxy/router.js'
import { Exchange, type Attempt } from '../../gateway/proxy/send.js'
import { GRPC_DEADLINE, GRPC_DROPPED, GRPC_NOT_CONNECTED, UpstreamFailure } from '../../gateway/proxy/upstream.js'

// The request path's retry policy: a request is sent once more, to another
// replica, only when no byte of it reached a model, or, for a model declared
// idempotent, when the connection dropped before any response byte; never on
// a timeout; and one deadline covers both attempts.

const failure = (code: string, responseStarted = false): UpstreamFailure =>
  new UpstreamFailure(Object.assign(new Error(code), { code }), responseStarted)

const FIRST: RetryCircumstances = { idempotent: false, cancelled: false, now: 100, deadline: 1_000 }
const IDEMPOTENT: RetryCircumstances = { ...FIRST, idempotent: true }

describe('retryOnAnotherReplica', () => {
  it.each(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', GRPC_NOT_CONNECTED])(
    'retries %s (no byte reached the model) for a model not declared idempotent', (code) => {
      expect(retryOnAnotherReplica(failure(code), FIRST)).toBe(true)
    })

  it.each(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', GRPC_DROPPED])(
    'retries %s before any response byte only when the model is declared idempotent', (code) => {
      expect(retryOnAnotherReplica(failure(code), IDEMPOTENT)).toBe(true)
      expect(retryOnAnotherReplica(failure(code), FIRST)).toBe(false)
    })

  it('does not retry a dropped connection once a response byte arrived, even for an idempotent model', () => {
    expect(retryOnAnotherReplica(failure('ECONNRESET', true), IDEMPOTENT)).toBe(false)
    expect(retryOnAnotherReplica(failure('UND_ERR_SOCKET', true), IDEMPOTENT)).toBe(false)
  })

  it.each(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', GRPC_DEADLINE])('never retries the timeout %s, even for an idempotent model', (code) => {
    expect(retryOnAnotherReplica(failure(code), IDEMPOTENT)).toBe(false)
  })

  it('does not retry once the request\'s deadline has passed', () => {
    expect(retryOnAnotherReplica(failure('ECONNREFUSED'), { ...FIRST, now: 1_000 })).toBe(false)
    expect(retryOnAnotherReplica(failure('ECONNREFUSED'), { ...FIRST, now: 999 })).toBe(true)
  })

  it('does not retry a request whose client went away', () => {
    expect(retryOnAnotherReplica(failure('ECONNREFUSED'), { ...IDEMPOTENT, cancelled: true })).toBe(false)
  })

  it('does not retry an error that is not an upstream failure (a busy replica, a bug)', () => {
    expect(retryOnAnotherReplica(new GatewayError('GW_REPLICA_BUSY', { model: 'm', version: 'v1', replica: 'r', timeoutMs: 5 }), IDEMPOTENT)).toBe(false)
    expect(retryOnAnotherReplica(new Error('ECONNREFUSED'), IDEMPOTENT)).toBe(false)
  })
})

describe('requestDeadline', () => {
  it('is arrival plus the model\'s request timeout, or the client\'s deadline when that is earlier', () => {
    expect(requestDeadline(1_000, 500, undefined)).toBe(1_500)
    expect(requestDeadline(1_000, 500, 1_200)).toBe(1_200)
    expect(requestDeadline(1_000, 500, 9_000)).toBe(1_500)
  })
})

// Exchange.run with fake replicas and attempts: the policy as the request path applies it.

function fakeReplica (url: string): Replica {
  return { url, transport: 'rest', inflight: 0, available: true, tryAcquire: () => true, release: () => {} } as unknown as Replica
}

class ScriptedExchange extends Exchange<string> {
  readonly attempts: Array<{ replica: string, deadline: number }> = []
  constructor (model: Model, version: Version, first: Replica, readonly outcomes: Array<UpstreamFailure | string>) {
    super({ model, version, start: 1_000 }, first, { success: () => {}, failure: () => {} } satisfies ReplicaFeedback)
  }

  protected attempt (replica: Replica, deadline: number): Attempt<string> {
    this.attempts.push({ replica: replica.url, deadline })
    const next = this.outcomes.shift()!
    return { done: typeof next === 'string' ? Promise.resolve(next) : Promise.reject(next), cancel: () => {} }
  }

  protected failed (): boolean {
    return false
  }
}

function scripted (idempotent: boolean, outcomes: Array<UpstreamFailure | string>): ScriptedExchange {
  const a = fakeReplica('http://a')
  const b = fakeReplica('http://b')
  // The request timeout reaches far past now, so the deadline never cuts these tests short.
  const model = { name: 'm', cfg: { requestTimeoutMs: 1e12, queueTimeoutMs: 10, idempotent } } as unknown as Model
  const version = { name: 'v1', byTransport: { rest: [a, b], grpc: [] } } as unknown as Version
  return new ScriptedExchange(model, version, a, outcomes)
}

describe('Exchange.run (the request path)', () => {
  it('sends a refused request once more on the other replica, under the same deadline, and answers with its response', async () => {
    const x = scripted(false, [failure('ECONNREFUSED'), 'answer'])
    const sent = await x.run()
    expect(sent.response).toBe('answer')
    expect(x.attempts.map(a => a.replica)).toEqual(['http://a', 'http://b'])
    expect(x.attempts[1]!.deadline).toBe(x.attempts[0]!.deadline)
    expect(x.attempts[0]!.deadline).toBe(1_000 + 1e12)
  })

  it('retries at most once: a second refusal is the answer', async () => {
    const x = scripted(true, [failure('ECONNREFUSED'), failure('ECONNREFUSED'), 'never sent'])
    await expect(x.run()).rejects.toMatchObject({ code: 'GW_UPSTREAM_UNAVAILABLE' })
    expect(x.attempts).toHaveLength(2)
  })

  it('does not resend a dropped request to a model not declared idempotent', async () => {
    const x = scripted(false, [failure('ECONNRESET'), 'never sent'])
    await expect(x.run()).rejects.toMatchObject({ code: 'GW_UPSTREAM_UNAVAILABLE' })
    expect(x.attempts).toHaveLength(1)
  })

  it('does not resend a timed-out request, and answers GW_UPSTREAM_TIMEOUT', async () => {
    const x = scripted(true, [failure('UND_ERR_HEADERS_TIMEOUT'), 'never sent'])
    await expect(x.run()).rejects.toMatchObject({ code: 'GW_UPSTREAM_TIMEOUT' })
    expect(x.attempts).toHaveLength(1)
  })
})
