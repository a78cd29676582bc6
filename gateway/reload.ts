/**
 * Config reload (SIGHUP or POST /admin/reload): re-reads the file the gateway
 * started with. A file that does not load is refused with the usual config
 * error (file, path, reason) and the running config stays. A good one: models
 * and versions it declares that the stored state lacks are added (revisioned
 * and audited like any change; new versions at 0%), stored release state wins
 * for what it has, and every model's settings and DNS names take effect.
 * Listener, admin, state-store and logging settings apply on restart only; a
 * reload names the ones that changed.
 */
import { loadConfigFile, ConfigError, type GatewayConfig, type ResolvedModel } from './config/load.js'
import type { GatewayEnv } from './config/env.js'
import type { Logger } from './observe/log.js'
import type { StateStore } from './control/store.js'
import { configAdditions, seedFromConfig } from './control/store.js'
import { GatewayError } from './errors.js'

export interface ReloadResult {
  revision: number
  file: string
  models: string[]
  added: ReturnType<typeof configAdditions>
  /** Top-level settings that differ from the running ones and apply only after a restart. */
  restartNeeded: string[]
}

export interface ReloaderDeps {
  file: string
  env: Readonly<GatewayEnv>
  running: GatewayConfig
  store: StateStore
  logger: Logger
  /** Applies the models of a loaded config (router, discovery); `next` is the whole loaded config. */
  apply: (models: Readonly<Record<string, ResolvedModel>>, next: GatewayConfig) => void
}

const RESTART_ONLY = ['host', 'port', 'bodyLimitBytes', 'shutdownTimeoutMs', 'drainDelayMs', 'validateJson', 'tls', 'admin', 'state', 'logging', 'discovery'] as const

export function createReloader (deps: ReloaderDeps): () => Promise<ReloadResult> {
  let queue: Promise<unknown> = Promise.resolve()
  const run = async (): Promise<ReloadResult> => {
    let next: GatewayConfig
    try {
      next = await loadConfigFile(deps.file, deps.env)
    } catch (err) {
      if (err instanceof ConfigError) {
        deps.logger.error({ file: err.file, path: err.path, reason: err.reason }, `config reload refused; the running config stays: ${err.message}`)
        throw new GatewayError('GW_CONFIG_INVALID', { detail: err.message })
      }
      throw err
    }
    const added = configAdditions(deps.store.get(), next.initialState)
    if (added.models.length > 0 || added.versions.length > 0) {
      await deps.store.update(undefined, seedFromConfig(next.initialState), { actor: 'config', action: 'reload', detail: { file: deps.file, ...added } })
    }
    deps.apply(next.models, next)
    const restartNeeded: string[] = RESTART_ONLY.filter(k => JSON.stringify(next[k]) !== JSON.stringify(deps.running[k]))
    // New applications join the access state on reload; turning access control on or off, or its JWT settings, need a restart.
    if (JSON.stringify(accessSettings(next)) !== JSON.stringify(accessSettings(deps.running))) restartNeeded.push('access')
    const result = { revision: deps.store.get().revision, file: deps.file, models: Object.keys(next.models), added, restartNeeded }
    deps.logger.info({ ...result }, 'config reloaded')
    if (restartNeeded.length > 0) deps.logger.warn({ settings: restartNeeded }, 'config reload: these settings changed and apply only after a restart')
    return result
  }
  return () => {
    const p = queue.then(run, run)
    queue = p.catch(() => undefined)
    return p
  }
}

function accessSettings (c: GatewayConfig): unknown {
  return { enabled: c.access.enabled, jwt: c.access.jwt, file: c.access.file }
}
