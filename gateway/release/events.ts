/**
 * Events out: rollout changes, drill results and stale analysis data, POSTed
 * as JSON to the configured webhooks (rollouts.webhooks). Each body is signed:
 * `x-model-gateway-signature: sha256=<hex HMAC-SHA256 of the body with the
 * webhook's secret>`, so a receiver can tell it came from the gateway and was
 * not changed. A delivery that fails (no answer, or not 2xx) is retried with
 * exponential backoff and jitter; each webhook gets its events in order, one
 * at a time. Its queue is bounded: past it an event is dropped, counted in
 * model_gateway_webhook_events_total{outcome="dropped"} and logged (once per
 * 10 s), never holding up a rollout.
 */
import { createHmac, randomUUID } from 'node:crypto'
import { Counter, type Registry } from 'prom-client'
import { request } from 'undici'
import type { Logger } from '../observe/log.js'
import { METRICS_PREFIX } from '../observe/metrics.js'
import { ThrottledLog } from '../observe/throttled-log.js'
import type { RolloutRecord } from '../state/rollout-record.js'
import type { CheckResult } from './check-registry.js'

export type EventKind = 'rollout' | 'drill' | 'staleness'

export interface ReleaseEvent {
  event: EventKind
  /** e.g. rollout.start, rollout.rollback, drill.failed, staleness.stale, staleness.recovered. */
  type: string
  model: string
  /** ISO time of the change. */
  at: string
  instanceId: string
  [detail: string]: unknown
}

export interface EventSink {
  emit (e: ReleaseEvent): void
}

export const NO_EVENTS: EventSink = { emit () {} }

/** A rollout's change as an event: where it is and why, with the checks behind it. */
export function rolloutEvent (model: string, r: RolloutRecord, type: string, instanceId: string, at: number, checks: readonly CheckResult[] = []): ReleaseEvent {
  return {
    event: 'rollout',
    type,
    model,
    at: new Date(at).toISOString(),
    instanceId,
    rolloutId: r.id,
    version: r.version,
    stable: r.stable,
    status: r.status,
    step: r.step,
    reason: r.reason,
    startedBy: r.startedBy,
    checks: checks.map(c => ({ check: c.check, verdict: c.verdict, summary: c.summary, ...(c.segment === undefined ? {} : { segment: c.segment }) }))
  }
}

export interface WebhookConfig { url: string, secret: string, events: EventKind[] }

export interface WebhookOptions {
  logger: Logger
  registry: Registry
  maxQueue?: number
  maxAttempts?: number
  baseDelayMs?: number
  maxDelayMs?: number
  timeoutMs?: number
}

export const WEBHOOK_MAX_QUEUE = 1_000
export const WEBHOOK_MAX_ATTEMPTS = 6
export const WEBHOOK_BASE_DELAY_MS = 500
export const WEBHOOK_MAX_DELAY_MS = 30_000
export const WEBHOOK_TIMEOUT_MS = 5_000
export const SIGNATURE_HEADER = 'x-model-gateway-signature'

export function sign (secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

class Hook {
  readonly queue: Array<{ id: string, body: string, type: string, kind: EventKind }> = []
  sending = false
  constructor (readonly cfg: WebhookConfig) {}
}

export class WebhookSender implements EventSink {
  readonly #hooks: Hook[]
  readonly #o: Required<Omit<WebhookOptions, 'logger' | 'registry'>>
  readonly #logger: Logger
  readonly #counter: Counter<'event' | 'outcome'>
  readonly #throttle = new ThrottledLog()
  readonly #timers = new Set<NodeJS.Timeout>()
  #closed = false

  constructor (hooks: readonly WebhookConfig[], opts: WebhookOptions) {
    this.#hooks = hooks.map(h => new Hook(h))
    this.#logger = opts.logger.child({ component: 'webhooks' })
    this.#o = {
      maxQueue: opts.maxQueue ?? WEBHOOK_MAX_QUEUE,
      maxAttempts: opts.maxAttempts ?? WEBHOOK_MAX_ATTEMPTS,
      baseDelayMs: opts.baseDelayMs ?? WEBHOOK_BASE_DELAY_MS,
      maxDelayMs: opts.maxDelayMs ?? WEBHOOK_MAX_DELAY_MS,
      timeoutMs: opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS
    }
    this.#counter = new Counter({ name: `${METRICS_PREFIX}webhook_events_total`, help: 'Webhook events by kind and outcome (delivered, retried, failed after every attempt, dropped with the queue full)', labelNames: ['event', 'outcome'], registers: [opts.registry] })
  }

  emit (e: ReleaseEvent): void {
    if (this.#closed) return
    const body = JSON.stringify(e)
    for (const h of this.#hooks) {
      if (!h.cfg.events.includes(e.event)) continue
      if (h.queue.length >= this.#o.maxQueue) {
        this.#counter.inc({ event: e.event, outcome: 'dropped' })
        const n = this.#throttle.admit(`drop:${h.cfg.url}`)
        if (n >= 0) this.#logger.warn({ url: h.cfg.url, event: e.type, queued: h.queue.length, suppressed: n }, 'webhook queue full: event dropped')
        continue
      }
      h.queue.push({ id: randomUUID(), body, type: e.type, kind: e.event })
      if (!h.sending) void this.#pump(h)
    }
  }

  /** Stops sending; events not yet delivered are given up (logged with their count). */
  close (): void {
    this.#closed = true
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    const left = this.#hooks.reduce((n, h) => n + h.queue.length, 0)
    if (left > 0) this.#logger.warn({ undelivered: left }, 'webhooks closed with events undelivered')
  }

  async #pump (h: Hook): Promise<void> {
    h.sending = true
    while (h.queue.length > 0 && !this.#closed) {
      const ev = h.queue[0]!
      const kind = ev.kind
      let delivered = false
      for (let attempt = 1; attempt <= this.#o.maxAttempts && !this.#closed; attempt++) {
        const error = await this.#send(h.cfg, ev)
        if (error === null) { delivered = true; break }
        if (attempt === this.#o.maxAttempts) break
        this.#counter.inc({ event: kind, outcome: 'retried' })
        await this.#wait(Math.min(this.#o.maxDelayMs, this.#o.baseDelayMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2))
      }
      h.queue.shift()
      this.#counter.inc({ event: kind, outcome: delivered ? 'delivered' : 'failed' })
      if (!delivered && !this.#closed) this.#logger.warn({ url: h.cfg.url, event: ev.type, delivery: ev.id, attempts: this.#o.maxAttempts }, 'webhook event not delivered after every attempt')
    }
    h.sending = false
  }

  /** One attempt; the reason it failed, or null. */
  async #send (cfg: WebhookConfig, ev: { id: string, body: string, type: string }): Promise<string | null> {
    try {
      const res = await request(cfg.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: sign(cfg.secret, ev.body), 'x-model-gateway-event': ev.type, 'x-model-gateway-delivery': ev.id },
        body: ev.body,
        headersTimeout: this.#o.timeoutMs,
        bodyTimeout: this.#o.timeoutMs
      })
      await res.body.dump()
      return res.statusCode >= 200 && res.statusCode < 300 ? null : `HTTP ${res.statusCode}`
    } catch (err) {
      return (err as { code?: string }).code ?? (err as Error).message
    }
  }

  #wait (ms: number): Promise<void> {
    return new Promise(resolve => {
      const t = setTimeout(() => { this.#timers.delete(t); resolve() }, ms)
      this.#timers.add(t)
    })
  }
}
