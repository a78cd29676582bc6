/**
 * Outcome items: what an application (or a label job) reports about a request
 * after the fact, keyed by the request id the gateway answered with.
 *
 *   {"id": "<x-request-id>", "label": 1 | 0 | true | false | <number>, "at"?: <epoch ms> | "<ISO 8601>"}
 *   {"id": "<x-request-id>", "value": <number>, "at"?: …}
 *
 * A body is a JSON array of items or NDJSON (one item per line). On the Kafka
 * topic the same items travel one per line, each also naming its `model` (or
 * the message key does); the gateway's intake writes them that way, so the
 * sink reads one format whoever wrote it. One parser serves the intake, the
 * sink and `model-gateway outcomes load`: every error names the item (0-based)
 * and the field.
 */

export type OutcomeKind = 'label' | 'value'

export interface OutcomeItem {
  model: string
  id: string
  kind: OutcomeKind
  x: number
  /** When the outcome happened (epoch ms); the time of receipt when the item gives none. */
  atMs: number
}

/** The longest request id the data plane keeps (x-request-id). */
export const MAX_ID_LENGTH = 128
/** `at` must fall in [2000-01-01, 2100-01-01): catches seconds sent as milliseconds and the like. */
export const MIN_AT_MS = Date.UTC(2000, 0, 1)
export const MAX_AT_MS = Date.UTC(2100, 0, 1)
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

export class OutcomeItemError extends Error {
  constructor (readonly item: number, readonly field: string | undefined, readonly reason: string) {
    super(`outcome ${item}${field === undefined ? '' : `, field "${field}"`}: ${reason}`)
    this.name = 'OutcomeItemError'
  }
}

export interface ItemOptions {
  /** The model every item is for (the intake's URL); an item naming another is refused. Unset: each item or `keyModel` names it. */
  model?: string
  /** The model a Kafka message's key names, for items without a `model` field. */
  keyModel?: string
  /** Labels must be 0 or 1 (true/false): the model's outcomes.label is binary. */
  binaryLabels?: boolean
  /** Time of receipt: an item's `at` when it gives none. */
  now: number
}

const FIELDS = ['id', 'label', 'value', 'at', 'model']

/** One item checked and normalised; throws OutcomeItemError. */
export function parseItem (raw: unknown, index: number, o: ItemOptions): OutcomeItem {
  const fail = (field: string | undefined, reason: string): never => { throw new OutcomeItemError(index, field, reason) }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail(undefined, `must be a JSON object like {"id": "…", "label": 1}, got ${show(raw)}`)
  const v = raw as Record<string, unknown>
  for (const k of Object.keys(v)) if (!FIELDS.includes(k)) fail(k, `unknown field (known: ${FIELDS.join(', ')})`)
  if (typeof v.id !== 'string' || v.id.length === 0 || v.id.length > MAX_ID_LENGTH) fail('id', `must be the request's id (x-request-id), a string of 1 to ${MAX_ID_LENGTH} characters, got ${show(v.id)}`)
  let model = o.model ?? o.keyModel
  if (v.model !== undefined) {
    if (typeof v.model !== 'string' || !MODEL_NAME.test(v.model)) fail('model', `must be a model name, got ${show(v.model)}`)
    if (o.model !== undefined && v.model !== o.model) fail('model', `names model "${String(v.model)}", but these are outcomes of "${o.model}"`)
    model = v.model as string
  }
  if (model === undefined) fail('model', 'is required (or the Kafka message key names the model)')
  let kind: OutcomeKind
  let x: number
  if (v.label !== undefined && v.value !== undefined) fail('value', 'give a label or a value, not both (send two items)')
  if (v.label !== undefined) {
    kind = 'label'
    x = typeof v.label === 'boolean' ? (v.label ? 1 : 0) : typeof v.label === 'number' && Number.isFinite(v.label) ? v.label : fail('label', `must be a number, true or false, got ${show(v.label)}`)
    if (o.binaryLabels === true && x !== 0 && x !== 1) fail('label', `must be 0 or 1 (or true/false): this model's labels are binary, got ${show(v.label)}`)
  } else if (v.value !== undefined) {
    kind = 'value'
    x = typeof v.value === 'number' && Number.isFinite(v.value) ? v.value : fail('value', `must be a finite number, got ${show(v.value)}`)
  } else {
    return fail('label', 'an outcome needs a label (ground truth) or a value (a business result)')
  }
  return { model: model!, id: v.id as string, kind, x, atMs: v.at === undefined ? o.now : parseAt(v.at, fail) }
}

function parseAt (at: unknown, fail: (field: string, reason: string) => never): number {
  let ms: number
  if (typeof at === 'number') {
    if (!Number.isInteger(at)) fail('at', `must be epoch milliseconds (an integer) or an ISO 8601 time, got ${show(at)}`)
    ms = at
  } else if (typeof at === 'string' && ISO.test(at.trim())) {
    ms = Date.parse(at.trim())
    if (Number.isNaN(ms)) fail('at', `is not a valid time: ${show(at)}`)
  } else {
    return fail('at', `must be epoch milliseconds or an ISO 8601 time like "2025-06-01T12:00:00Z", got ${show(at)}`)
  }
  if (ms < MIN_AT_MS || ms >= MAX_AT_MS) fail('at', `${show(at)} is outside 2000..2100 (epoch milliseconds, not seconds)`)
  return ms
}

/** Not JSON at all (the array form): the intake answers it as malformed JSON. */
export class OutcomeBodyError extends Error {}

/**
 * A body's items: a JSON array, or NDJSON (blank lines skipped). Throws
 * OutcomeBodyError when an array body does not parse, OutcomeItemError for a
 * bad item (an NDJSON line that does not parse is a bad item too), and
 * RangeError past `maxItems`.
 */
export function parseBody (text: string, o: ItemOptions & { maxItems: number }): OutcomeItem[] {
  const start = firstNonBlank(text)
  if (start === -1) return []
  const out: OutcomeItem[] = []
  if (text.charCodeAt(start) === 91 /* [ */) {
    let arr: unknown
    try {
      arr = JSON.parse(text)
    } catch (err) {
      throw new OutcomeBodyError((err as Error).message)
    }
    if (!Array.isArray(arr)) throw new OutcomeBodyError('expected a JSON array of outcomes or NDJSON')
    if (arr.length > o.maxItems) throw new RangeError(`${arr.length} outcomes; at most ${o.maxItems} per request`)
    for (let i = 0; i < arr.length; i++) out.push(parseItem(arr[i], i, o))
    return out
  }
  let from = 0
  while (from < text.length) {
    let nl = text.indexOf('\n', from)
    if (nl === -1) nl = text.length
    const line = text.slice(from, nl).trim()
    from = nl + 1
    if (line === '') continue
    if (out.length >= o.maxItems) throw new RangeError(`more than ${o.maxItems} outcomes per request`)
    let v: unknown
    try {
      v = JSON.parse(line)
    } catch (err) {
      throw new OutcomeItemError(out.length, undefined, `not a JSON object (NDJSON line): ${(err as Error).message}`)
    }
    out.push(parseItem(v, out.length, o))
  }
  return out
}

/** The topic's line for an item: the format label jobs write too. */
export function encodeItem (i: OutcomeItem): string {
  return `{"model":${JSON.stringify(i.model)},"id":${JSON.stringify(i.id)},"${i.kind}":${i.x},"at":${i.atMs}}`
}

function firstNonBlank (s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9 && c !== 0xfeff) return i
  }
  return -1
}

function show (v: unknown): string {
  const s = JSON.stringify(v)
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 60)}…` : s
}
