/**
 * The one shape of everything a gateway instance runs beside its listeners:
 * what it adds to the request path (an observer), to the health-check results
 * (a sink) and to the admin API (modules), how it hears of a newer routing
 * state, and how it stops. app.ts lists the components in start order; they
 * stop in the reverse order, after the data plane has drained.
 */
import type { AdminModule } from '../admin/listener.js'
import type { HealthResultSink } from '../health/result.js'
import type { Logger } from '../observe/log.js'
import type { RequestObserver } from '../observe/outcome.js'
import type { RoutingState } from '../state/routing-state.js'

export interface Component {
  readonly name: string
  readonly observer?: RequestObserver | null
  readonly healthSink?: HealthResultSink | null
  readonly adminModules?: readonly AdminModule[]
  /**
   * Every newer routing state, whichever instance wrote it: the one way a state
   * change reaches its readers. Components that follow the replica set (health
   * checks, metrics) also hear of discovery and reload through the router's
   * snapshot swaps.
   */
  applyState? (state: RoutingState): void
  /** Runs once every component is listening to the state, before the listeners open. */
  start? (): Promise<void>
  stop? (): Promise<void>
}

/** Stops components in the reverse of their start order; one that fails does not stop the others. */
export async function stopAll (components: readonly Component[], logger: Logger): Promise<void> {
  for (let i = components.length - 1; i >= 0; i--) {
    const c = components[i]!
    try {
      await c.stop?.()
    } catch (err) {
      logger.error({ err, component: c.name }, 'error while shutting down a component')
    }
  }
}
