/**
 * Readiness at three levels (OIP health API), as pure functions of the routing
 * snapshot and the lifecycle:
 * - server (`/v2/health/ready`): the gateway serves — it is listening, has its
 *   routing state and is not draining. It does NOT depend on any model's
 *   replicas: as a Kubernetes readiness probe, one dead model must not take
 *   every gateway pod out of the Service (an outage for all models).
 * - model (`/v2/models/{m}/ready`): at least one version has an available replica.
 * - version (`/v2/models/{m}/versions/{v}/ready`): that version has one.
 */
import { errors, type GatewayError } from '../errors.js'
import type { Model, Snapshot } from '../proxy/router.js'
import type { Lifecycle } from './model-proxy.js'
import type { Transport } from '../state/names.js'

export interface Readiness {
  status: number
  body: unknown
  version?: string
}

function fromError (e: GatewayError): Readiness {
  return { status: e.statusCode, body: e.toJSON() }
}

export function serverReadiness (_s: Snapshot, lifecycle: Lifecycle): Readiness {
  const ready = !lifecycle.draining
  return { status: ready ? 200 : 503, body: { ready } }
}

/** Model and version readiness count the replicas of the asking transport (a gRPC client's requests go to gRPC replicas). */
export function modelReadiness (s: Snapshot, lifecycle: Lifecycle, name: string, transport: Transport = 'rest'): Readiness {
  const model = s.models.get(name)
  if (model === undefined) return fromError(errors.unknownModel(name))
  const ready = !lifecycle.draining && servable(model, transport)
  return { status: ready ? 200 : 503, body: { name: model.name, ready } }
}

export function versionReadiness (s: Snapshot, lifecycle: Lifecycle, name: string, v: string, transport: Transport = 'rest'): Readiness {
  const model = s.models.get(name)
  if (model === undefined) return fromError(errors.unknownModel(name))
  const version = model.versions.get(v)
  if (version === undefined) return fromError(errors.unknownVersion(name, v))
  const ready = !lifecycle.draining && version.byTransport[transport].some(r => r.available)
  return { status: ready ? 200 : 503, body: { name: model.name, version: version.name, ready }, version: version.name }
}

/** The model can answer: at least one of its versions has an available replica. */
function servable (model: Model, transport: Transport): boolean {
  for (const v of model.versions.values()) if (v.byTransport[transport].some(r => r.available)) return true
  return false
}
