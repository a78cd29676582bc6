import { Pool } from 'undici'

// A bounded load loop for tests that change something while traffic flows: N
// workers send inference requests until stop() is called, maxRequests were
// sent or maxMs passed, whichever comes first. Every request gets an id
// `${prefix}-${i}`; each answer is kept (status, time sent), so a test can tell
// what was sent after a given moment.

export const INFER_BODY = JSON.stringify({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP64', data: [620, 200, 7, 265] }] })

export interface LoadAnswer {
  id: string
  sentAt: number
  status: number
  /** Error code when the request failed without an HTTP answer. */
  error: string | null
}

export interface LoadLoop {
  /** Answers so far, in completion order. */
  readonly answers: readonly LoadAnswer[]
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<readonly LoadAnswer[]>
  /** Waits until maxRequests were answered (or maxMs passed). */
  done(): Promise<readonly LoadAnswer[]>
}

export interface LoadLoopOptions {
  path?: string
  concurrency?: number
  maxRequests?: number
  maxMs?: number
  prefix?: string
}

export function startLoadLoop (baseUrl: string, opts: LoadLoopOptions = {}): LoadLoop {
  const { path = '/v2/models/fraud/infer', concurrency = 4, maxRequests = 20_000, maxMs = 60_000, prefix = 'load' } = opts
  const pool = new Pool(baseUrl, { connections: concurrency })
  const answers: LoadAnswer[] = []
  const deadline = Date.now() + maxMs
  let stopped = false
  let next = 0
  const worker = async (): Promise<void> => {
    while (!stopped && next < maxRequests && Date.now() < deadline) {
      const id = `${prefix}-${next++}`
      const sentAt = Date.now()
      try {
        const res = await pool.request({ path, method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id }, body: INFER_BODY })
        await res.body.text()
        answers.push({ id, sentAt, status: res.statusCode, error: null })
      } catch (err) {
        answers.push({ id, sentAt, status: 0, error: (err as { code?: string }).code ?? (err as Error).message })
      }
    }
  }
  const running = Promise.all(Array.from({ length: concurrency }, worker))
  const finished = running.then(async () => {
    await pool.close()
    return answers
  })
  return {
    answers,
    stop () {
      stopped = true
      return finished
    },
    done: () => finished
  }
}
