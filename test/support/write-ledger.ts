// Admin writes sent while Redis misbehaves, with what each was answered, and
// the check that the audit log and the state agree with every answer: a write
// answered 2xx is there, a write answered with an error is not, a write
// answered "outcome unknown" is settled (an audit entry says how) and is there
// exactly when it was settled as applied.
import { expect } from 'vitest'
import { request } from 'undici'
import type { GatewayProcess } from './gateway-process.js'
import { eventually } from './eventually.js'

export const UNKNOWN = 'GW_WRITE_OUTCOME_UNKNOWN'

export interface WriteAnswer {
  kind: string
  model: string
  status: number
  code: string | null
  operationId: string | null
}

export interface AuditRow {
  operationId?: string
  action: string
  model: string | null
  revisionBefore: number
  revisionAfter: number
  detail: Record<string, unknown>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  after: any
}

export async function adminJson (gw: GatewayProcess, token: string, method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH', path: string, body?: object): Promise<{ status: number, json: Record<string, unknown> }> {
  const res = await request(`${gw.adminUrl!}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    headersTimeout: 30_000
  })
  const text = await res.body.text()
  return { status: res.statusCode, json: text === '' ? {} : JSON.parse(text) as Record<string, unknown> }
}

export class WriteLedger {
  readonly answers: WriteAnswer[] = []
  readonly #token: string

  constructor (token: string) {
    this.#token = token
  }

  async send (gw: GatewayProcess, kind: string, model: string, method: 'PUT' | 'POST' | 'DELETE' | 'PATCH', path: string, body?: object): Promise<WriteAnswer> {
    const res = await adminJson(gw, this.#token, method, path, body)
    const a: WriteAnswer = {
      kind,
      model,
      status: res.status,
      code: typeof res.json.code === 'string' ? res.json.code : null,
      operationId: typeof res.json.operationId === 'string' ? res.json.operationId : null
    }
    this.answers.push(a)
    return a
  }

  ok (): WriteAnswer[] { return this.answers.filter(a => a.status >= 200 && a.status < 300) }
  unknown (): WriteAnswer[] { return this.answers.filter(a => a.code === UNKNOWN) }
  refused (): WriteAnswer[] { return this.answers.filter(a => a.status >= 300 && a.code !== UNKNOWN) }

  /** Answers by kind: "2xx / error / unknown". */
  summary (): Record<string, string> {
    const out: Record<string, string> = {}
    for (const kind of new Set(this.answers.map(a => a.kind))) {
      const of = this.answers.filter(a => a.kind === kind)
      const n = (f: (a: WriteAnswer) => boolean): number => of.filter(f).length
      out[kind] = `${of.length} sent: ${n(a => a.status < 300)} 2xx, ${n(a => a.status >= 300 && a.code !== UNKNOWN)} errors (${[...new Set(of.filter(a => a.status >= 300 && a.code !== UNKNOWN).map(a => `${a.status} ${a.code}`))].join(', ')}), ${n(a => a.code === UNKNOWN)} unknown`
    }
    return out
  }
}

export interface LedgerCheck {
  /** Unknown outcomes as settled: operation id -> applied | not-applied. */
  settled: Map<string, string>
  audit: AuditRow[]
}

/**
 * Waits until every "outcome unknown" is settled (GET /admin/operations/:id),
 * then checks the audit log against every answer. Every answer must carry its
 * operation id.
 */
export async function checkLedger (gw: GatewayProcess, token: string, ledger: WriteLedger, settleTimeoutMs = 60_000): Promise<LedgerCheck> {
  const missingId = ledger.answers.filter(a => a.operationId === null)
  expect(missingId, 'every answer names its operation').toEqual([])
  const settled = new Map<string, string>()
  for (const u of ledger.unknown()) {
    const outcome = await eventually(async () => {
      const res = await adminJson(gw, token, 'GET', `/admin/operations/${u.operationId!}`)
      const op = res.json.operation as { outcome: string }
      expect(['applied', 'not-applied']).toContain(op.outcome)
      return op.outcome
    }, { timeoutMs: settleTimeoutMs, intervalMs: 250 })
    settled.set(u.operationId!, outcome)
  }
  const audit = (await adminJson(gw, token, 'GET', '/admin/audit?limit=1000')).json.entries as AuditRow[]
  const written = new Map<string, AuditRow>()
  const notes = new Map<string, AuditRow>()
  for (const e of audit) {
    if (e.action === 'operation-outcome') notes.set(e.detail.operationId as string, e)
    else if (e.operationId !== undefined) written.set(e.operationId, e)
  }
  expect(ledger.ok().filter(a => !written.has(a.operationId!)), 'answered 2xx but not in the audit log').toEqual([])
  expect(ledger.refused().filter(a => written.has(a.operationId!)), 'answered with an error but in the audit log').toEqual([])
  for (const u of ledger.unknown()) {
    const outcome = settled.get(u.operationId!)!
    expect(notes.get(u.operationId!)?.detail.outcome, `audit entry settling ${u.operationId!}`).toBe(outcome)
    expect(written.has(u.operationId!), `${u.operationId!} settled as ${outcome}`).toBe(outcome === 'applied')
  }
  return { settled, audit }
}

/** The state-changing entries form one unbroken chain of revisions ending at `revision`. */
export function expectRevisionChain (audit: readonly AuditRow[], revision: number): void {
  const changes = audit.filter(e => e.revisionAfter !== e.revisionBefore).sort((a, b) => a.revisionAfter - b.revisionAfter)
  const gaps = changes.slice(1).filter((e, i) => e.revisionAfter !== changes[i]!.revisionAfter + 1 || e.revisionBefore !== changes[i]!.revisionAfter)
  expect(gaps, 'revisions in the audit log follow one another').toEqual([])
  expect(changes.at(-1)?.revisionAfter).toBe(revision)
}
