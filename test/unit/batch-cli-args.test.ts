import { describe, expect, it } from 'vitest'
import { batchOptions } from '../../gateway/cli/commands/batch.js'
import { readEnv } from '../../gateway/config/env.js'

// `model-gateway batch` options: defaults, formats from file names, {i} in
// paths, the partition method, and the combinations it refuses.

const BASE = ['--model', 'fraud', '--input', 'in.csv', '--output', 'out/scores-{i}.ndjson']
const env = readEnv({})

describe('batch command options', () => {
  it('derive formats from the file names, files from the output and {i} from the partition, bytes without a key', () => {
    const o = batchOptions([...BASE, '--partition', '2/4'], env, false)
    expect(o).toMatchObject({
      inputFormat: 'csv', outputFormat: 'ndjson', output: 'out/scores-2.ndjson', rejects: 'out/scores-2.ndjson.rejects.ndjson',
      checkpoint: 'out/scores-2.ndjson.checkpoint.json', partition: { index: 2, count: 4 }, partitionBy: 'bytes', batchSize: 256, concurrency: 4, progress: 'json', keep: []
    })
  })

  it('partition by hash of the key column and keep it when a key column is given', () => {
    const o = batchOptions([...BASE, '--partition', '0/2', '--key-column', 'user', '--admin-url', 'http://127.0.0.1:8081'], env, true)
    expect(o).toMatchObject({ partitionBy: 'hash', partitionKey: 'user', keyColumn: 'user', keep: ['user'], progress: 'bar' })
  })

  it('refuses --version with --key-column, --key-column without an admin URL, and a batch size of 0', () => {
    expect(() => batchOptions([...BASE, '--version', 'v2', '--key-column', 'user'], env)).toThrow('--key-column routes by the live split, --version picks one version: give one of them')
    expect(() => batchOptions([...BASE, '--key-column', 'user'], env)).toThrow('--key-column needs the admin API for the split and seed: --admin-url (or MODEL_GATEWAY_ADMIN_URL)')
    expect(() => batchOptions([...BASE, '--batch-size', '0'], env)).toThrow('--batch-size must be an integer from 1 to 65536, got "0"')
  })
})
