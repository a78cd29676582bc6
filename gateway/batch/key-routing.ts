/**
 * A keyed canary for batch: the version each row's key maps to, computed
 * with the data plane's own routing functions from the split and seed the admin API
 * reports. One micro-batch carries one request, and a request can carry only one
 * sticky key, so rows are grouped by the version their key maps to and each group
 * goes to that version's explicit URL. Nothing is re-implemented: layout and
 * selectVersion are the functions the data plane's decision calls.
 */
import { request } from 'undici'
import { layout } from '../routing/buckets.js'
import { selectVersion, type VersionChoiceInput } from '../routing/select-version.js'
import type { SplitEntry } from '../state/split.js'
import { MAX_STICKY_KEY_LENGTH } from '../proxy/headers.js'

export const ROUTING_REQUEST_TIMEOUT_MS = 10_000

/** The part of GET /admin/models/{m} that decides versions. */
export interface ModelRouting {
  split: SplitEntry[]
  seed: number
  releaseName: string
}

export class RoutingFetchError extends Error {}

export async function fetchRouting (adminUrl: string, token: string | undefined, model: string): Promise<ModelRouting> {
  const url = `${adminUrl.replace(/\/+$/, '')}/admin/models/${encodeURIComponent(model)}`
  let res
  try {
    res = await request(url, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      headersTimeout: ROUTING_REQUEST_TIMEOUT_MS,
      bodyTimeout: ROUTING_REQUEST_TIMEOUT_MS
    })
  } catch (err) {
    throw new RoutingFetchError(`cannot reach the admin API at ${adminUrl} for the routing of "${model}": ${(err as Error).message}`)
  }
  const text = await res.body.text()
  if (res.statusCode !== 200) {
    const hint = res.statusCode === 401 || res.statusCode === 403 ? ' (pass --token or set MODEL_GATEWAY_TOKEN; a read token is enough)' : ''
    throw new RoutingFetchError(`admin API answered ${res.statusCode} for the routing of "${model}": ${text.slice(0, 200)}${hint}`)
  }
  let view: Partial<ModelRouting> | undefined
  try {
    view = (JSON.parse(text) as { model?: Partial<ModelRouting> }).model
  } catch {
    throw new RoutingFetchError(`admin API at ${adminUrl} answered 200 with a body that is not JSON`)
  }
  if (!Array.isArray(view?.split) || typeof view.seed !== 'number' || typeof view.releaseName !== 'string') {
    throw new RoutingFetchError(`admin API at ${adminUrl} gives no split and seed for "${model}" (a gateway older than batch scoring?)`)
  }
  return { split: view.split, seed: view.seed, releaseName: view.releaseName }
}

/**
 * key -> version, the data plane's sticky choice. The key (already trimmed, as
 * an HTTP parser trims a header value) is cut where stickyKeyOf cuts it.
 */
export function versionForKey (routing: ModelRouting): (key: string) => string {
  const model: VersionChoiceInput<string> = {
    layout: layout(routing.split, v => v),
    seed: routing.seed,
    versions: new Map(routing.split.map(e => [e.version, e.version]))
  }
  return (key) => selectVersion(model, key.length > MAX_STICKY_KEY_LENGTH ? key.slice(0, MAX_STICKY_KEY_LENGTH) : key, undefined)!
}
