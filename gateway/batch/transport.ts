/**
 * The batch job's view of the data plane: model metadata and an inference
 * call, over scorer-sdk's client (retries are the batch job's own, so the
 * client's are off). Every request carries the batch traffic header.
 */
import { request } from 'undici'
import { ScorerClient } from '../../scorer-sdk/client.js'
import { ScorerError } from '../../scorer-sdk/errors.js'
import type { ModelMetadata } from '../../scorer-sdk/types.js'
import { TRAFFIC_BATCH, TRAFFIC_HEADER } from './options.js'
import type { Send } from './score.js'

export class MetadataError extends Error {}

/** The headers of every batch request: the traffic mark, and the API key when there is one. */
function batchHeaders (apiKey: string | undefined): Record<string, string> {
  return apiKey === undefined ? { [TRAFFIC_HEADER]: TRAFFIC_BATCH } : { [TRAFFIC_HEADER]: TRAFFIC_BATCH, authorization: `Bearer ${apiKey}` }
}

export async function fetchMetadata (url: string, model: string, version: string | undefined, timeoutMs: number, apiKey?: string): Promise<ModelMetadata> {
  const path = `/v2/models/${encodeURIComponent(model)}${version === undefined ? '' : `/versions/${encodeURIComponent(version)}`}`
  let res
  try {
    res = await request(`${url.replace(/\/+$/, '')}${path}`, { headers: batchHeaders(apiKey), headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
  } catch (err) {
    throw new MetadataError(`cannot reach ${url} for the metadata of "${model}": ${(err as Error).message}`)
  }
  const text = await res.body.text()
  if (res.statusCode !== 200) throw new MetadataError(`GET ${path} answered ${res.statusCode}: ${text.slice(0, 200)}`)
  let meta: ModelMetadata
  try {
    meta = JSON.parse(text) as ModelMetadata
  } catch {
    throw new MetadataError(`GET ${path} answered 200 with a body that is not JSON`)
  }
  if (!Array.isArray(meta?.inputs) || meta.inputs.length === 0) throw new MetadataError(`GET ${path}: the model declares no inputs; batch scoring maps columns to declared inputs`)
  return meta
}

export interface Transport {
  send: Send
  close (): Promise<void>
}

export function scorerTransport (url: string, model: string, connections: number, timeoutMs: number, apiKey?: string): Transport {
  const client = new ScorerClient({ baseUrl: url, model, retries: 0, timeoutMs, connections, headers: batchHeaders(apiKey) })
  return {
    async send (inputs, version) {
      try {
        const r = await client.infer(inputs, { version })
        return { ok: true, outputs: r.outputs, version: r.version }
      } catch (err) {
        if (!(err instanceof ScorerError)) throw err
        // A 2xx the client could not read is the service's fault: retried like a 502.
        const status = err.code === 'BAD_RESPONSE' ? 502 : err.status
        return { ok: false, status, message: err.message }
      }
    },
    close: () => client.close()
  }
}
