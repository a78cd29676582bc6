/** Plan and override files for the rollout and template commands: read, checked here so errors name the file, sent as written. */
import { readFile } from 'node:fs/promises'
import { parse } from 'yaml'
import { AdminClientError } from './admin-client.js'
import { parsePlanText, PlanError } from '../release/plan.js'

async function readText (file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    throw new AdminClientError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, null, null)
  }
}

/** A YAML (or JSON) file's data. */
export async function readYaml (file: string): Promise<unknown> {
  const text = await readText(file)
  try {
    return parse(text) as unknown
  } catch (err) {
    throw new AdminClientError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`, null, 'GW_INVALID_ARGUMENT')
  }
}

/** A plan file's data (durations and percentages as written); the server validates it again. */
export async function readPlan (file: string): Promise<object> {
  const text = await readText(file)
  try {
    parsePlanText(text, file)
  } catch (err) {
    if (err instanceof PlanError) throw new AdminClientError(`invalid rollout plan: ${err.message}`, null, 'GW_INVALID_ARGUMENT')
    throw err
  }
  return parse(text) as object
}
