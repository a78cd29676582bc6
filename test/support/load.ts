/**
 * The one load generator the integration tests share: `concurrency` workers
 * send scoring requests until `maxRequests` were sent or `maxMs` passed (or
 * stop() is called), so every load run ends by itself. It counts answers by
 * status and by x-model-version; callers assert on the counts.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent } from 'undici'
import { FRAUD_REQUEST } from './oip.js'

export interface LoadRequest {
  /** Base URL of the gateway to send to (default: the `url` option). */
  origin?: string
  /** Default /v2/models/fraud/infer. */
  path?: string
  /** Sent besides content-type: application/json. */
  headers?: Record<string, string>
  /** Default: the fraud request fixture. */
  body?: string
}

export interface LoadAnswer {
  /** Index of the request (0-based, in the order they were sent). */
  i: number
  status: number
  /** The x-model-version header, when the answer has one. */
  version: string | undefined
  body: string
  /** The answer's headers (e.g. retry-after). */
  headers: Record<string, string | string[] | undefined>
  /** performance.now() when the answer arrived. */
  at: number
  /** Date.now() when the request was sent. */
  sentAt: number
}

export interface LoadOptions {
  /** Gateway base URL, e.g. http://127.0.0.1:41234 */
  url?: string
  maxRequests: number
  maxMs: number
  /** Workers, each with one request in flight (default 8). */
  concurrency?: number
  /** What request number i looks like (default: the fraud fixture to `url`). */
  request?: (i: number) => LoadRequest
  /** Called with every answer, before it is counted. */
  onAnswer?: (answer: LoadAnswer) => void
  /** Called for every request that got no answer, with the client-side error's code (or message). */
  onError?: (i: number, sentAt: number, code: string) => void
  /** A worker ends at its first request that got no answer (a client-side error). */
  stopWorkerOnError?: boolean
  /** Pacing: each worker waits this long after each answer (keeps a long run's volume small). */
  pauseMs?: number
  /** A worker waits this long after a request that got no answer (the gateway restarting, say) before the next. */
  errorPauseMs?: number
  /** Passed to undici: a request without an answer in this time counts as a client error. */
  headersTimeoutMs?: number
  /** PEM CA to trust for https:// URLs. */
  ca?: Buffer
  /** A new connection (and TLS handshake) for every request instead of keep-alive. */
  newConnectionEach?: boolean
}

export interface LoadResult {
  sent: number
  ok: number
  /**
   * Answers by HTTP status ("200", "502", …) and requests that got no answer by
   * "error <code> <syscall>" (e.g. "error ECONNREFUSED connect").
   */
  statuses: Record<string, number>
  /** 200 answers by their x-model-version header ("none" when missing). */
  versions: Record<string, number>
  /** Everything but a 200, with the answer's body or the error's message (first 50). */
  failures: string[]
  /** How many requests did not get a 200. */
  failed: number
}

export interface RunningLoad {
  /** The counts so far (live: read it while the load runs). */
  readonly progress: LoadResult
  /** Resolves once a bound is reached or stop() was called and every request in flight is answered. */
  readonly done: Promise<LoadResult>
  /** No new requests; resolves with the final counts once those in flight are answered. */
  stop(): Promise<LoadResult>
}

const KEEP_FAILURES = 50

export function startLoad (opts: LoadOptions): RunningLoad {
  const concurrency = opts.concurrency ?? 8
  const agent = new Agent({ connections: concurrency, headersTimeout: opts.headersTimeoutMs, ...(opts.ca === undefined ? {} : { connect: { ca: opts.ca } }) })
  const result: LoadResult = { sent: 0, ok: 0, statuses: {}, versions: {}, failures: [], failed: 0 }
  const deadline = Date.now() + opts.maxMs
  let stopped = false

  const count = (key: string, failure?: string): void => {
    result.statuses[key] = (result.statuses[key] ?? 0) + 1
    if (failure === undefined) return
    result.failed++
    if (result.failures.length < KEEP_FAILURES) result.failures.push(failure)
  }

  const worker = async (): Promise<void> => {
    while (!stopped && result.sent < opts.maxRequests && Date.now() < deadline) {
      const i = result.sent++
      const req = opts.request?.(i) ?? {}
      const origin = req.origin ?? opts.url
      if (origin === undefined) throw new Error('startLoad: no url for request ' + String(i))
      const sentAt = Date.now()
      try {
        const res = await agent.request({
          origin,
          path: req.path ?? '/v2/models/fraud/infer',
          method: 'POST',
          headers: { 'content-type': 'application/json', ...req.headers },
          body: req.body ?? FRAUD_REQUEST,
          reset: opts.newConnectionEach === true
        })
        const body = await res.body.text()
        const v = res.headers['x-model-version']
        const version = typeof v === 'string' ? v : undefined
        opts.onAnswer?.({ i, status: res.statusCode, version, body, headers: res.headers, at: performance.now(), sentAt })
        if (res.statusCode === 200) {
          result.ok++
          const key = version ?? 'none'
          result.versions[key] = (result.versions[key] ?? 0) + 1
          count('200')
        } else {
          count(String(res.statusCode), `${res.statusCode} ${body.slice(0, 300)}`)
        }
      } catch (err) {
        const { code, syscall } = err as { code?: string, syscall?: string }
        opts.onError?.(i, sentAt, code ?? (err as Error).message)
        count(['error', code ?? 'unknown', syscall].filter(Boolean).join(' '), `${code ?? ''} ${(err as Error).message}`)
        if (opts.stopWorkerOnError === true) return
        if (opts.errorPauseMs !== undefined) await sleep(opts.errorPauseMs)
      }
      if (opts.pauseMs !== undefined) await sleep(opts.pauseMs)
    }
  }

  const done = Promise.all(Array.from({ length: concurrency }, worker))
    .finally(() => agent.close())
    .then(() => result)
  return {
    progress: result,
    done,
    stop () {
      stopped = true
      return done
    }
  }
}

/** Runs a load to its bounds and returns the counts. */
export async function runLoad (opts: LoadOptions): Promise<LoadResult> {
  return await startLoad(opts).done
}

/** One answer of a load loop: the request's id (`${prefix}-${i}`), when it was sent, its status (0 with `error` when none came). */
export interface LoopAnswer {
  id: string
  sentAt: number
  status: number
  /** Error code when the request failed without an HTTP answer. */
  error: string | null
}

export interface LoadLoop {
  /** Answers so far, in completion order. */
  readonly answers: readonly LoopAnswer[]
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<readonly LoopAnswer[]>
  /** Waits until maxRequests were answered (or maxMs passed). */
  done(): Promise<readonly LoopAnswer[]>
}

export interface LoadLoopOptions {
  path?: string
  concurrency?: number
  maxRequests?: number
  maxMs?: number
  prefix?: string
}

/**
 * startLoad for tests that change something while traffic flows and then ask
 * which requests were sent after a given moment: every request gets the id
 * `${prefix}-${i}` and each answer is kept with the time it was sent.
 */
export function startLoadLoop (baseUrl: string, opts: LoadLoopOptions = {}): LoadLoop {
  const { path, concurrency = 4, maxRequests = 20_000, maxMs = 60_000, prefix = 'load' } = opts
  const answers: LoopAnswer[] = []
  const load = startLoad({
    url: baseUrl,
    concurrency,
    maxRequests,
    maxMs,
    request: (i) => ({ path, headers: { 'x-request-id': `${prefix}-${i}` } }),
    onAnswer: (a) => { answers.push({ id: `${prefix}-${a.i}`, sentAt: a.sentAt, status: a.status, error: null }) },
    onError: (i, sentAt, code) => { answers.push({ id: `${prefix}-${i}`, sentAt, status: 0, error: code }) }
  })
  const finished = load.done.then(() => answers)
  return {
    answers,
    stop: async () => {
      await load.stop()
      return answers
    },
    done: () => finished
  }
}
