// TLS material from files (gateway/tls/material.ts), with certificates made by
// openssl for this run: a key that is not the certificate's is refused naming
// the files; a change to the files is picked up by watching, and a change that
// does not load (a key of another certificate) keeps the running material.
import { copyFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readTlsFiles, TlsFileError, TlsMaterial } from '../../gateway/tls/material.js'
import { makeCa, type CertFiles, type TestCa } from '../support/certs.js'
import { eventually } from '../support/eventually.js'

let ca: TestCa
let a: CertFiles
let b: CertFiles
const logged: string[] = []
const log = { info: (_o: object, msg: string) => { logged.push(msg) }, warn: (_o: object, msg: string) => { logged.push(msg) } }

beforeAll(async () => {
  ca = await makeCa()
  a = await ca.issue('a')
  b = await ca.issue('b')
})
afterAll(async () => { await ca?.remove() })

describe('TLS material', () => {
  it('refuses a key that does not belong to the certificate, naming both files', async () => {
    const err = await readTlsFiles({ cert: a.cert, key: b.key }).then(() => null, (e: unknown) => e as TlsFileError)
    expect(err).toBeInstanceOf(TlsFileError)
    expect(err!.message).toContain('the key does not belong to the certificate')
    expect(err!.message).toContain(a.cert)
  })

  it('refuses a missing file naming the field and the file', async () => {
    const err = await readTlsFiles({ cert: join(ca.dir, 'nope.crt'), key: a.key }).then(() => null, (e: unknown) => e as TlsFileError)
    expect([err?.field, err?.file]).toEqual(['cert', join(ca.dir, 'nope.crt')])
  })

  it('follows its files: a new pair is loaded once written, a mismatched pair is kept out', async () => {
    const live = { cert: join(ca.dir, 'live.crt'), key: join(ca.dir, 'live.key') }
    await copyFile(a.cert, live.cert)
    await copyFile(a.key, live.key)
    const m = (await TlsMaterial.load(live, 'test', log)).watch()
    const changes: string[] = []
    m.onChange(c => { changes.push(c.fingerprint) })
    const first = m.contents.fingerprint

    await copyFile(b.key, live.key)
    await eventually(() => { expect(logged).toContain('TLS files do not load; the running certificate stays') }, { timeoutMs: 5_000 })
    expect(m.contents.fingerprint).toBe(first)

    await writeFile(live.cert, await readFile(b.cert))
    await eventually(() => { expect(changes.length).toBe(1) }, { timeoutMs: 5_000 })
    expect(m.contents.fingerprint).not.toBe(first)
    expect(await m.reload()).toBe(false)
    m.close()
  })
})
