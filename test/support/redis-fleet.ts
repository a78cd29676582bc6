import { randomUUID } from 'node:crypto'
import { request } from 'undici'
import type { AuditEntryView, InstanceView, ModelView } from '../../gateway/cli/admin-client.js'
import type { StoreHealth } from '../../gateway/control/store.js'
import type { GatewayProcess } from './gateway-process.js'
import type { ModelProcess } from '../../scripts/processes/model-process.js'

// What the control-plane tests share: gateways that keep their routing state in
// one Redis (under a key prefix of their own), an admin token, an admin call.

export const TOKEN = 'control-admin-token-0123456789'

/** Any admin answer; each route fills in some of these. */
export interface AdminBody { revision: number, model: ModelView, models: ModelView[], instances: InstanceView[], entries: AuditEntryView[], store: StoreHealth, error: string, code: string }

export async function admin (gw: GatewayProcess, method: 'GET' | 'PUT' | 'POST', path: string, body?: object): Promise<{ status: number, json: AdminBody }> {
  const res = await request(`${gw.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  return { status: res.statusCode, json: await res.body.json() as AdminBody }
}

/** Model fraud: v1 stable, v2 canary at `canaryWeight` basis points, sticky on x-user-id, state in Redis. */
export function fleetConfig (redisUrl: string, v1: ModelProcess, v2: ModelProcess, canaryWeight: number): object {
  return {
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
    state: { store: 'redis', redisUrl, keyPrefix: `control-test-${randomUUID()}` },
    models: {
      fraud: {
        sticky: { header: 'x-user-id' },
        versions: { v1: { replicas: [v1.url] }, v2: { replicas: [v2.url] } },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight },
        healthCheck: { enabled: false }
      }
    }
  }
}

/** Model fraud (one version), state and access control shared through Redis under a fresh prefix, with these applications. */
export function accessFleetConfig (redisUrl: string, modelUrl: string, applications: object): object {
  return {
    admin: { tokens: [{ name: 'ops', token: TOKEN, role: 'admin' }] },
    state: { store: 'redis', redisUrl, keyPrefix: `access-test-${randomUUID()}` },
    access: { enabled: true, applications },
    models: { fraud: { versions: { v1: { replicas: [modelUrl] } }, release: { strategy: 'canary', stable: 'v1' }, healthCheck: { enabled: false } } }
  }
}

/** The fraud fixture under the name older tests import. */
export { FRAUD_REQUEST as BODY } from './oip.js'
