/**
 * Data-plane access control of one gateway instance, when `access.enabled`:
 * the access store (memory or file, or Redis beside the routing state for a
 * fleet), the gate the data plane asks before decide, the JWT verifier and the
 * quota buckets, whose shares follow the number of instances alive. app.ts
 * adds it like any other component; with access off there is none and the
 * data plane asks nobody.
 */
import { Gauge, type Registry } from 'prom-client'
import type { GatewayConfig } from '../config/load.js'
import type { Logger } from '../observe/log.js'
import type { ApplicationState } from '../state/access-state.js'
import { AccessGate } from './gate.js'
import { JwtVerifier } from './jwt.js'
import { QuotaBuckets } from './quota.js'
import { MemoryAccessStore, seedFromConfig, type AccessStore } from './store.js'

/** How often the number of instances alive (the quota shares) is read from the instance registry. */
export const INSTANCES_POLL_MS = 1_000

export interface AccessComponent {
  readonly gate: AccessGate
  readonly store: AccessStore
  readonly quotas: QuotaBuckets
  /** Adds the applications a reloaded config declares and the store lacks. */
  seed (applications: Record<string, ApplicationState>): Promise<void>
  close (): Promise<void>
}

export interface AccessDeps {
  config: GatewayConfig
  logger: Logger
  registry?: Registry
  /** Instances alive in the fleet (the state store's registry; 0 is read as 1). */
  instances: () => Promise<number>
}

export async function startAccess ({ config, logger, registry, instances }: AccessDeps): Promise<AccessComponent | null> {
  const a = config.access
  if (!a.enabled) return null
  const log = logger.child({ component: 'access' })
  let store: AccessStore
  if (config.state.store === 'redis') {
    const { RedisAccessStore } = await import('./store-redis.js')
    store = new RedisAccessStore({ url: config.state.redisUrl!, keyPrefix: config.state.keyPrefix, instanceId: config.instanceId, logger })
  } else {
    store = new MemoryAccessStore({ file: a.file, instanceId: config.instanceId, logger })
  }
  const state = await store.init(a.applications)
  const jwt = a.jwt === null ? null : new JwtVerifier(a.jwt, logger)
  await jwt?.start()
  const quotas = new QuotaBuckets()
  const gate = new AccessGate(quotas, jwt)
  gate.apply(state)
  store.subscribe((s) => { gate.apply(s) })

  const poll = async (): Promise<void> => {
    try {
      quotas.setInstances(await instances())
    } catch (err) {
      log.debug({ err: (err as Error).message, instances: quotas.instances }, 'cannot count the instances alive; quota shares stay')
    }
  }
  await poll()
  if (registry !== undefined) {
    new Gauge({ name: 'model_gateway_quota_instances', help: 'Instances alive that share each fleet quota; this instance enforces 1/N of it', registers: [registry], collect () { this.set(quotas.instances) } })
  }
  const timer = setInterval(() => { void poll() }, INSTANCES_POLL_MS)
  timer.unref()

  const apps = Object.values(state.applications)
  log.info({ store: store.kind, applications: apps.length, keys: apps.reduce((n, x) => n + x.keys.length, 0), jwt: jwt !== null, instances: quotas.instances }, 'data-plane access control on: every scoring request needs an API key or token')
  if (apps.length === 0 && jwt === null) log.warn('access control is on with no application and no JWT: every data-plane request is refused until applications and keys are added')
  return {
    gate,
    store,
    quotas,
    seed: (applications) => seedFromConfig(store, applications),
    async close () {
      clearInterval(timer)
      jwt?.close()
      gate.close()
      await store.close()
    }
  }
}
