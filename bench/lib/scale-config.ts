/** The scale benchmark's fleet: M models × V versions × R replicas over the farm's origins, as a gateway config. */
export const SCALE_ADMIN_TOKEN = 'bench-admin-token-not-secret-0123456789'

export interface ScaleShape { models: number, versions: number, replicas: number }

export function modelName (i: number): string {
  return `m${String(i).padStart(4, '0')}`
}

/** `origins` are handed out in order, one per replica; there must be models × versions × replicas of them. */
export function scaleConfig (shape: ScaleShape, origins: readonly string[], extra: { healthCheck?: object, state?: object } = {}): object {
  const need = shape.models * shape.versions * shape.replicas
  if (origins.length < need) throw new Error(`the fleet needs ${need} replica origins, the farm has ${origins.length}`)
  let next = 0
  const models: Record<string, object> = {}
  for (let m = 0; m < shape.models; m++) {
    const versions: Record<string, object> = {}
    for (let v = 1; v <= shape.versions; v++) versions[`v${v}`] = { replicas: origins.slice(next, next += shape.replicas) }
    models[modelName(m)] = {
      sticky: { header: 'x-user-id' },
      versions,
      release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: 1000 },
      ...(extra.healthCheck === undefined ? {} : { healthCheck: extra.healthCheck })
    }
  }
  return {
    gateway: { host: '127.0.0.1' },
    admin: { host: '127.0.0.1', metricsPublic: true, tokens: [{ name: 'bench', token: SCALE_ADMIN_TOKEN, role: 'admin' }] },
    logging: { sink: 'off' },
    ...(extra.state === undefined ? {} : { state: extra.state }),
    models
  }
}
