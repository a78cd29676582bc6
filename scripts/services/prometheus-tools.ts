// The Prometheus tools the monitoring tests use, from Debian (like the
// services): promtool (package prometheus) checks the gauges the monitor
// writes, and a real Pushgateway (package prometheus-pushgateway) receives them.
import { spawnSync } from 'node:child_process'
import { which } from './install.js'

function aptInstall (pkg: string): void {
  process.stderr.write(`[prometheus-tools] installing ${pkg} with apt-get (once)\n`)
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 })
  if (r.error !== undefined || r.status !== 0) throw new Error(`prometheus-tools: apt-get install ${pkg} failed (${r.error?.message ?? `exit ${r.status}`})\n${`${r.stdout}${r.stderr}`.slice(-2000)}`)
}

function tool (cmd: string, pkg: string): string {
  let bin = which(cmd)
  if (bin === undefined) {
    aptInstall(pkg)
    bin = which(cmd)
  }
  if (bin === undefined) throw new Error(`prometheus-tools: ${cmd} not found after installing ${pkg}`)
  return bin
}

export function promtoolBinary (): string {
  return tool('promtool', 'prometheus')
}

export function pushgatewayBinary (): string {
  return tool('prometheus-pushgateway', 'prometheus-pushgateway')
}
