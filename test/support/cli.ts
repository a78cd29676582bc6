/**
 * Runs the compiled `model-gateway` CLI as a child process, with the admin
 * environment variables cleared unless given, and returns its exit code and
 * output.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from '../../scripts/processes/ready-process.js'

export interface CliResult { code: number, stdout: string, stderr: string }

export function runCli (args: readonly string[], env: Record<string, string | undefined> = {}, stdin?: string): Promise<CliResult> {
  const cli = join(repoRoot(), 'dist', 'gateway', 'cli', 'main.js')
  const childEnv: Record<string, string | undefined> = { ...process.env, MODEL_GATEWAY_TOKEN: undefined, MODEL_GATEWAY_ADMIN_URL: undefined, MODEL_GATEWAY_CA: undefined, ...env }
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cli, ...args], { env: childEnv as NodeJS.ProcessEnv, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1, stdout, stderr })
    })
    child.stdin?.end(stdin ?? '')
  })
}
