/**
 * Typed errors of the control plane. Each is a GatewayError, so the admin
 * listener answers with its status and `{ error: { code, message } }` as is.
 */
import { GatewayError } from '../errors.js'

export type ControlErrorCode = 'GW_UNKNOWN_MODEL' | 'GW_UNKNOWN_VERSION' | 'GW_INVALID_ARGUMENT' | 'GW_CONFLICT' | 'GW_STATE_UNAVAILABLE'

const STATUS: Record<ControlErrorCode, number> = {
  GW_UNKNOWN_MODEL: 404,
  GW_UNKNOWN_VERSION: 404,
  GW_INVALID_ARGUMENT: 400,
  GW_CONFLICT: 409,
  GW_STATE_UNAVAILABLE: 503
}

export class ControlError extends GatewayError {
  declare readonly code: ControlErrorCode

  constructor (code: ControlErrorCode, message: string, ctx: { model?: string, version?: string } = {}, cause?: unknown) {
    super(code, STATUS[code], message, ctx, cause)
    this.name = 'ControlError'
  }
}

export const controlErrors = {
  unknownModel: (model: string) =>
    new ControlError('GW_UNKNOWN_MODEL', `model "${model}" is not in the routing state`, { model }),
  unknownVersion: (model: string, version: string, known: readonly string[]) =>
    new ControlError('GW_UNKNOWN_VERSION', `model "${model}" has no version "${version}" (have: ${known.join(', ')})`, { model, version }),
  invalid: (message: string, ctx: { model?: string, version?: string } = {}) =>
    new ControlError('GW_INVALID_ARGUMENT', message, ctx),
  conflict: (message: string, ctx: { model?: string, version?: string } = {}) =>
    new ControlError('GW_CONFLICT', message, ctx),
  staleRevision: (expected: number, actual: number) =>
    new ControlError('GW_CONFLICT', `revision ${expected} is stale: the routing state is at revision ${actual}; re-read it and retry`),
  unavailable: (what: string, cause?: unknown) =>
    new ControlError('GW_STATE_UNAVAILABLE', `the shared routing state is unavailable (${what}); the gateway keeps serving with the state it has, changes are refused until it is back`, {}, cause)
}
