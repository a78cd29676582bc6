import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { MemoryStateStore } from '../../gateway/control/store-memory.js'
import { ControlLog } from '../../gateway/control/control-log.js'
import { ControlLogFile } from '../../gateway/control/control-log-file.js'
import { setSplit, setCanary } from '../../gateway/control/operations.js'
import { modelStateFromConfig } from '../../gateway/config/initial-state.js'
import { type RoutingState } from '../../gateway/state/routing-state.js'
import { GatewayError as ControlError } from '../../gateway/errors.js'

const logger = pino({ level: 'silent' })

function initial (): RoutingState {
  return {
    revision: 1,
    models: {
      fraud: modelStateFromConfig('fraud', {
        versions: { v1: { replicas: ['http://127.0.0.1:9101'] }, v2: { replicas: ['http://127.0.0.1:9201'] } },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 1000 }
      })
    }
  }
}

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(d => rm(d, { recursive: true, force: true })))
})

describe('memory state store', () => {
  it('compare-and-set: of two updates on the same revision exactly one wins', async () => {
    const store = new MemoryStateStore({ instanceId: 'i1', logger })
    await store.init(initial())
    const results = await Promise.allSettled([
      store.update(1, setSplit('fraud', { v1: 5000, v2: 5000 }), { actor: 'a', action: 'set-split', model: 'fraud' }),
      store.update(1, setSplit('fraud', { v1: 2000, v2: 8000 }), { actor: 'b', action: 'set-split', model: 'fraud' })
    ])
    expect(results.map(r => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    const rejected = results.find(r => r.status === 'rejected') as PromiseRejectedResult
    expect(rejected.reason).toBeInstanceOf(ControlError)
    expect((rejected.reason as ControlError).code).toBe('GW_CONFLICT')
    expect(store.get().revision).toBe(2)
  })

  it('a failed operation changes nothing and tells no listener', async () => {
    const store = new MemoryStateStore({ instanceId: 'i1', logger })
    await store.init(initial())
    const seen: number[] = []
    store.subscribe(s => { seen.push(s.revision) })
    await expect(store.update(undefined, setSplit('fraud', { v1: 1 }), { actor: 'a', action: 'set-split' })).rejects.toMatchObject({ code: 'GW_INVALID_ARGUMENT' })
    expect(store.get().revision).toBe(1)
    await store.update(undefined, setCanary('fraud', 'v2', 2000), { actor: 'a', action: 'canary', model: 'fraud' })
    expect(seen).toEqual([2])
    expect(await store.audit(10)).toHaveLength(1)
  })

  it('keeps a capped audit log, newest first, with the model before and after', async () => {
    const store = new MemoryStateStore({ instanceId: 'i1', logger, auditCap: 3 })
    await store.init(initial())
    for (let w = 1; w <= 5; w++) await store.update(undefined, setCanary('fraud', 'v2', w * 100), { actor: 'ops', action: 'canary', model: 'fraud', detail: { w } })
    const log = await store.audit(10)
    expect(log.map(e => e.detail.w)).toEqual([5, 4, 3])
    expect(log[0]).toMatchObject({ actor: 'ops', revisionBefore: 5, revisionAfter: 6, instanceId: 'i1' })
    expect(log[0]!.before!.split[0]).toEqual({ version: 'v2', weight: 400 })
    expect(log[0]!.after!.split[0]).toEqual({ version: 'v2', weight: 500 })
  })

  it('writes the state file on every change and resumes it, adding models the config gained', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'state-store-'))
    dirs.push(dir)
    const file = join(dir, 'state.json')
    const a = new MemoryStateStore({ file, instanceId: 'i1', logger })
    await a.init(initial())
    await a.update(undefined, setCanary('fraud', 'v2', 3000), { actor: 'ops', action: 'canary', model: 'fraud' })
    await a.close()
    expect(JSON.parse(await readFile(file, 'utf8')).revision).toBe(2)
    expect(await readdir(dir)).toEqual(['state.json'])

    const grown = initial()
    grown.models.other = structuredClone(grown.models.fraud!)
    const b = new MemoryStateStore({ file, instanceId: 'i1', logger })
    const s = await b.init(grown)
    expect(s.revision).toBe(3)
    expect(s.models.fraud!.split[0]).toEqual({ version: 'v2', weight: 3000 })
    expect(s.models.other).toBeDefined()
  })
})

async function open (dir: string): Promise<{ store: MemoryStateStore, file: ControlLogFile }> {
  const file = new ControlLogFile(join(dir, 'state.json.control.ndjson'), logger)
  const store = new MemoryStateStore({ file: join(dir, 'state.json'), instanceId: 'i1', logger, controlLog: new ControlLog({ sinks: [file], reader: file, logger, awaitPipeline: false }) })
  await store.init(initial())
  return { store, file }
}

// The embedded default keeps its audit log in a control-log file beside the
// state file: after a restart `audit` and the operation lookup still know every
// change; a refused write names its operation id.
describe('memory store with a control-log file', () => {
  it('still shows every change and operation after a restart, and refused writes carry their operation id', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'memory-record-'))
    dirs.push(dir)
    const first = await open(dir)
    await first.store.update(undefined, setCanary('fraud', 'v2', 2000), { actor: 'ops', action: 'canary', model: 'fraud', operationId: 'op-a' })
    await first.store.update(undefined, setCanary('fraud', 'v2', 3000), { actor: 'ops', action: 'canary', model: 'fraud', operationId: 'op-b' })
    const refused = await first.store.update(7, setCanary('fraud', 'v2', 4000), { actor: 'ops', action: 'canary', model: 'fraud', operationId: 'op-c' }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(ControlError)
    expect((refused as ControlError).toJSON()).toMatchObject({ code: 'GW_CONFLICT', operationId: 'op-c' })
    await first.store.close()
    await first.file.close()

    const second = await open(dir)
    expect((await second.store.audit(10)).map(e => [e.operationId, e.revisionAfter])).toEqual([['op-b', 3], ['op-a', 2]])
    expect(await second.store.operation('op-a')).toMatchObject({ outcome: 'applied', revision: 2, action: 'canary' })
    expect(await second.store.operation('op-c')).toMatchObject({ outcome: 'unknown' })
    await second.file.close()
  })
})
