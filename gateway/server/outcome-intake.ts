/**
 * POST /v2/models/{model}/outcomes: labels and business values by request id
 * (observe/outcome-items.ts), answered 200 `{"accepted": N}` only once every
 * item is durably queued (observe/outcome-queue.ts). All or nothing: one bad
 * item refuses the body with 400 naming the item and the field, so a client
 * fixes it and sends the same body again. Bodies are bounded in bytes (413
 * before the rest is read) and in items.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Counter, type Registry } from 'prom-client'
import type { Logger } from 'pino'
import { errors, GatewayError } from '../errors.js'
import type { Router } from '../proxy/router.js'
import { wholeBody } from '../proxy/request-body.js'
import { FileOutcomeQueue, KafkaOutcomeQueue, type OutcomeQueue } from '../observe/outcome-queue.js'
import type { GatewayConfig } from '../config/load.js'
import { encodeItem, OutcomeBodyError, OutcomeItemError, parseBody } from '../observe/outcome-items.js'
import { ThrottledLog } from '../observe/throttled-log.js'
import { discardable, discardBody, readBody } from './read-body.js'
import { answerError, answerJson, requestIdOf, type AnswerContext } from './answer.js'
import type { Lifecycle } from './model-proxy.js'
import type { AccessGate } from '../access/gate.js'

export interface OutcomeIntakeDeps {
  router: Router
  queue: OutcomeQueue
  limits: { maxBodyBytes: number, maxItems: number, timeoutMs: number }
  logger: Logger
  registry?: Registry
  now?: () => number
}

/** Seconds a client is asked to wait before sending refused outcomes again. */
export const RETRY_AFTER_S = 1

export class OutcomeIntake {
  readonly #d: OutcomeIntakeDeps
  readonly #now: () => number
  readonly #accepted: Counter<'model'> | null
  readonly #refused: Counter<'model' | 'code'> | null
  readonly #throttle = new ThrottledLog()

  constructor (deps: OutcomeIntakeDeps) {
    this.#d = deps
    this.#now = deps.now ?? Date.now
    const registers = deps.registry === undefined ? null : [deps.registry]
    this.#accepted = registers === null ? null : new Counter({ name: 'model_gateway_outcomes_accepted_total', help: 'Outcome items durably queued by the intake (answered 200), by model', labelNames: ['model'] as const, registers })
    this.#refused = registers === null ? null : new Counter({ name: 'model_gateway_outcomes_refused_total', help: 'Outcome intake requests refused, by model and error code', labelNames: ['model', 'code'] as const, registers })
  }

  async close (): Promise<void> {
    await this.#d.queue.close()
  }

  /**
   * Answers one intake request. With access control on (`access`), only a
   * caller that may use the model and holds the "outcomes" right gets past the
   * check; without it, anyone who can reach the data plane may report.
   */
  handle (req: IncomingMessage, res: ServerResponse, model: string, lifecycle: Lifecycle, access?: AccessGate): void {
    const ctx: AnswerContext = { requestId: requestIdOf(req), version: null, fallback: false, close: lifecycle.closing }
    const refuse = (e: GatewayError, extra?: string[]): void => {
      this.#refused?.inc({ model: this.#d.router.snapshot.models.has(model) ? model : '(unknown)', code: e.code })
      ctx.close ||= lifecycle.closing
      answerError(res, e, ctx, extra)
    }
    /** Refused before its body was read: drop the rest (bounded) so the client reads the answer. */
    const refuseUnread = (e: GatewayError): void => {
      if (discardable(req)) discardBody(req)
      else ctx.close = true
      refuse(e)
    }
    if (access === undefined) {
      this.#receive(req, res, model, ctx, refuse, refuseUnread)
      return
    }
    access.check(req.headers, model, 'outcomes').then((c) => {
      if (c instanceof GatewayError) refuseUnread(c)
      else this.#receive(req, res, model, ctx, refuse, refuseUnread)
    }, (err: unknown) => { refuseUnread(errors.internal(err)) })
  }

  #receive (req: IncomingMessage, res: ServerResponse, model: string, ctx: AnswerContext, refuse: (e: GatewayError, extra?: string[]) => void, refuseUnread: (e: GatewayError) => void): void {
    const m = this.#d.router.snapshot.models.get(model)
    if (m === undefined) return refuseUnread(errors.unknownModel(model))
    if (m.cfg.outcomes === null) return refuseUnread(new GatewayError('GW_OUTCOMES_NOT_ENABLED', { model }))
    const encoding = req.headers['content-encoding']
    if (encoding !== undefined && encoding !== 'identity') return refuseUnread(new GatewayError('GW_UNSUPPORTED_ENCODING', { detail: encoding }))
    const binary = m.cfg.outcomes.label === 'binary'
    const { maxBodyBytes, maxItems, timeoutMs } = this.#d.limits
    readBody(req, maxBodyBytes, (body) => {
      if (body === 'aborted') return
      if (body === 'too-large') return refuseUnread(errors.bodyTooLarge(maxBodyBytes, model, `(outcomes: at most ${maxBodyBytes} bytes and ${maxItems} items per request)`))
      const text = wholeBody(body).toString('utf8')
      let lines: string[]
      try {
        const items = parseBody(text, { model, binaryLabels: binary, now: this.#now(), maxItems })
        if (items.length === 0) return refuse(errors.badRequest('the body holds no outcomes: send a JSON array or NDJSON of {"id", "label" | "value", "at"?}'))
        lines = items.map(encodeItem)
      } catch (err) {
        if (err instanceof OutcomeItemError) return refuse(new GatewayError('GW_INVALID_OUTCOME', { model, item: err.item, field: err.field, detail: err.reason }))
        if (err instanceof OutcomeBodyError) return refuse(new GatewayError('GW_MALFORMED_JSON', { model, detail: err.message }))
        if (err instanceof RangeError) return refuse(errors.bodyTooLarge(maxBodyBytes, model, `or holds too many outcomes: ${err.message}`))
        throw err
      }
      this.#d.queue.append(model, lines, timeoutMs).then(() => {
        this.#accepted?.inc({ model }, lines.length)
        answerJson(res, 200, { accepted: lines.length, model }, ctx)
      }, (err: unknown) => {
        const suppressed = this.#throttle.admit(`outcomes:${model}`)
        if (suppressed >= 0) this.#d.logger.warn({ model, queue: this.#d.queue.name, err: (err as Error).message, items: lines.length, suppressed }, 'outcomes not queued; answered 503')
        refuse(new GatewayError('GW_OUTCOMES_UNAVAILABLE', { model, detail: `the outcome queue (${this.#d.queue.name}) did not confirm them (${(err as Error).message.slice(0, 200)})` }), ['retry-after', String(RETRY_AFTER_S)])
      })
    })
  }
}

/** The intake for the config: queued where the scoring logs go; null when no model collects outcomes. */
export function buildOutcomeIntake (config: GatewayConfig, deps: Omit<OutcomeIntakeDeps, 'queue' | 'limits'>): OutcomeIntake | null {
  const l = config.logging
  if (!Object.values(config.models).some(m => m.outcomes !== null) || l.sink === 'off') return null
  const queue = l.sink === 'file' ? new FileOutcomeQueue(l.file!) : new KafkaOutcomeQueue(l.kafkaBrokers!, l.topicPrefix, `model-gateway-outcomes-${config.instanceId}`, deps.logger)
  return new OutcomeIntake({ ...deps, queue, limits: config.outcomes })
}
