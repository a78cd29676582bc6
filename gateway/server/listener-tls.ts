/**
 * The certificates of the gateway's own listeners (gateway.tls for the data
 * plane, admin.tls for the admin API), loaded at start and followed as their
 * files change; reload() (SIGHUP, POST /admin/reload) reads them again. Files
 * that do not load at start are a config error naming the setting.
 */
import type { GatewayConfig } from '../config/load.js'
import { ConfigError } from '../config/load.js'
import type { Logger } from '../observe/log.js'
import { TlsFileError, TlsMaterial, type TlsFiles } from '../tls/material.js'

export interface ListenerTls {
  readonly data: TlsMaterial | null
  readonly admin: TlsMaterial | null
  reload (): Promise<void>
  close (): void
}

export async function loadListenerTls (config: GatewayConfig, logger: Logger): Promise<ListenerTls> {
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
    data,
    admin,
    async reload () {
      await Promise.all([data?.reload(), admin?.reload()])
    },
    close () {
      data?.close()
      admin?.close()
    }
  }
}
