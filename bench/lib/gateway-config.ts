/**
 * The gateway's configuration under benchmark: the production shape of a
 * canary (two versions, 10% canary, sticky by header, routing and stickiness
 * on, JSON validation at its default), with the scoring log off so the
 * benchmark measures the data plane alone. Anything the gateway always does
 * (metrics, once they exist) stays on: there is no switch here to turn it off.
 */
import { stringify } from 'yaml'
import { BENCH_API_KEY, MODEL, STICKY_HEADER } from './payload.js'

/** Basis points: 10% of users see the canary. */
export const BENCH_CANARY_WEIGHT = 1000
/** Only used to let the admin plane start; the benchmark never calls it. */
const BENCH_ADMIN_TOKEN = 'bench-admin-token-not-secret-0123456789'

/** Model of the binary-tensor row, and its body limit (room for 1 MiB tensors). */
export const BINARY_MODEL = 'tensors'
const BINARY_BODY_LIMIT = 4 * 1024 * 1024

/**
 * Access control as a production gateway would run it: an application with an
 * API key and a quota on every model. The quota is far above what the machine
 * serves, so it never refuses and the benchmark measures what checking costs.
 */
const BENCH_ACCESS = {
  enabled: true,
  applications: { bench: { models: ['*'], quota: { rps: 1_000_000, burst: 1_000_000 }, keys: [{ name: 'bench', key: BENCH_API_KEY }] } }
}

/**
 * `v1Origin`/`v2Origin` are base URLs; the benchmark points both at the same
 * origin. `binaryOrigin` serves the binary-tensor row's model. `access`: API
 * keys and quotas on (requests must carry BENCH_API_KEY).
 */
export function gatewayConfigYaml (v1Origin: string, v2Origin: string, binaryOrigin?: string, access = false): string {
  return stringify({
    gateway: { host: '127.0.0.1' },
    ...(access ? { access: BENCH_ACCESS } : {}),
    admin: { host: '127.0.0.1', tokens: [{ name: 'bench', token: BENCH_ADMIN_TOKEN, role: 'admin' }] },
    logging: { sink: 'off' },
    models: {
      [MODEL]: {
        sticky: { header: STICKY_HEADER },
        versions: {
          v1: { replicas: [v1Origin] },
          v2: { replicas: [v2Origin] }
        },
        release: { strategy: 'canary', stable: 'v1', canary: 'v2', canaryWeight: BENCH_CANARY_WEIGHT }
      },
      ...(binaryOrigin === undefined
        ? {}
        : {
            [BINARY_MODEL]: {
              versions: { v1: { replicas: [binaryOrigin] } },
              release: { strategy: 'canary', stable: 'v1' },
              bodyLimitBytes: BINARY_BODY_LIMIT
            }
          })
    }
  })
}
