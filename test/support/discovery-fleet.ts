import { readFile } from 'node:fs/promises'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'

// Model replicas as a headless Service sees them: one process per pod address
// (127.0.0.2, 127.0.0.3, … — Linux routes all of 127/8 to lo), all on the
// same port, because A records carry no port.

/** Starts one fraud model process per address, all on one port (the first one picks it). */
export async function startReplicasOnAddresses (addresses: readonly string[], opts: { version: string, delayMs?: number }): Promise<ModelProcess[]> {
  const first = await startModel({ version: opts.version, host: addresses[0]!, delayMs: opts.delayMs })
  const rest = await Promise.all(addresses.slice(1).map(host => startModel({ version: opts.version, host, port: first.port, delayMs: opts.delayMs })))
  return [first, ...rest]
}

export interface SampledRecord { request_id: string, replica: string, version: string, status: number }

/** The sampled request records the gateway's file sink has written so far (sampling rate 1 in these tests). */
export async function recordsIn (file: string): Promise<SampledRecord[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return []
  }
  return text.split('\n').filter(l => l !== '').map(l => JSON.parse(l) as { kind: string, row: SampledRecord })
    .filter(l => l.kind === 'records').map(l => l.row)
}
