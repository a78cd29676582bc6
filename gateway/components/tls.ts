/**
 * The certificates of the gateway's own listeners (gateway.tls for the data
 * plane, admin.tls for the admin API), loaded before anything else starts and
 * followed as their files change; a reload (SIGHUP, POST /admin/reload) reads
 * them again. Files that do not load at start are a config error naming the
 * setting. gateway/tls/material.ts does the loading, for any listener.
 */
import type { GatewayConfig } from '../config/load.js'
import { ConfigError } from '../config/load.js'
import type { Logger } from '../observe/log.js'
import { TlsFileError, TlsMaterial, type TlsFiles } from '../tls/material.js'
import type { Component } from './component.js'

export interface TlsComponent extends Component {
  readonly data: TlsMaterial | null
  readonly admin: TlsMaterial | null
  /** Reads every certificate file again; a set that does not load is logged and kept out. */
  reload (): Promise<void>
}

export async function tlsComponent (config: GatewayConfig, logger: Logger): Promise<TlsComponent> {
  const load = async (files: TlsFiles | null, path: string, label: string): Promise<TlsMaterial | null> => {
    if (files === null) return null
    try {
      return (await TlsMaterial.load(files, label, logger)).watch()
    } catch (err) {
      if (err instanceof TlsFileError) throw new ConfigError(config.file, `${path}${err.field === '' ? '' : `.${err.field}`}`, err.message)
      throw err
    }
  }
  const data = await load(config.tls, 'gateway.tls', 'data plane')
  const admin = config.admin.enabled ? await load(config.admin.tls, 'admin.tls', 'admin API') : null
  return {
    name: 'tls',
    data,
    admin,
    async reload () {
      await Promise.all([data?.reload(), admin?.reload()])
    },
    async stop () {
      data?.close()
      admin?.close()
    }
  }
}
