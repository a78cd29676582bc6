/**
 * Gateway errors as gRPC statuses, in one table: every code of the error
 * catalogue (gateway/errors.ts) has its gRPC status here, and the message is
 * the catalogue's, the same words the REST body carries. The GW_… code, the
 * request id and the version go in the trailers.
 *
 * The status codes follow gRPC's own guidance (grpc/grpc doc/statuscodes.md):
 * a client error is INVALID_ARGUMENT, an absent model NOT_FOUND, a replica
 * that cannot be reached UNAVAILABLE, a full queue RESOURCE_EXHAUSTED, a
 * passed deadline DEADLINE_EXCEEDED.
 */
import { Metadata, status } from '@grpc/grpc-js'
import { REQUEST_ID_HEADER, VERSION_HEADER } from '../config/defaults.js'
import type { ErrorCode, GatewayError } from '../errors.js'

/** Trailer carrying the gateway's error code (the REST body's "code"). */
export const ERROR_CODE_TRAILER = 'x-gateway-error-code'

export const GRPC_STATUS = {
  GW_UNKNOWN_MODEL: status.NOT_FOUND,
  GW_UNKNOWN_VERSION: status.NOT_FOUND,
  GW_NOT_FOUND: status.NOT_FOUND,
  GW_NO_ROLLOUT: status.NOT_FOUND,
  GW_UNKNOWN_TEMPLATE: status.NOT_FOUND,
  GW_UNKNOWN_APPLICATION: status.NOT_FOUND,
  GW_METHOD_NOT_ALLOWED: status.UNIMPLEMENTED,
  GW_MALFORMED_JSON: status.INVALID_ARGUMENT,
  GW_MALFORMED_BINARY: status.INVALID_ARGUMENT,
  GW_MALFORMED_PROTOBUF: status.INVALID_ARGUMENT,
  GW_BAD_REQUEST: status.INVALID_ARGUMENT,
  GW_INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  GW_UNAUTHORIZED: status.UNAUTHENTICATED,
  GW_FORBIDDEN: status.PERMISSION_DENIED,
  GW_POLICY_VIOLATION: status.PERMISSION_DENIED,
  GW_CONFLICT: status.ABORTED,
  GW_NOT_VERIFIED: status.FAILED_PRECONDITION,
  GW_BODY_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  GW_UNSUPPORTED_MEDIA_TYPE: status.INVALID_ARGUMENT,
  GW_UNSUPPORTED_ENCODING: status.UNIMPLEMENTED,
  GW_HEADERS_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  GW_RATE_LIMITED: status.RESOURCE_EXHAUSTED,
  GW_CLIENT_CLOSED: status.CANCELLED,
  GW_INTERNAL: status.INTERNAL,
  GW_NOT_IMPLEMENTED: status.UNIMPLEMENTED,
  GW_UPSTREAM_UNAVAILABLE: status.UNAVAILABLE,
  GW_UPSTREAM_ERROR: status.INTERNAL,
  GW_NO_HEALTHY_REPLICA: status.UNAVAILABLE,
  GW_REPLICA_BUSY: status.RESOURCE_EXHAUSTED,
  GW_CONFIG_INVALID: status.INVALID_ARGUMENT,
  GW_STATE_UNAVAILABLE: status.UNAVAILABLE,
  GW_OVERLOADED: status.UNAVAILABLE,
  GW_WRITE_OUTCOME_UNKNOWN: status.UNAVAILABLE,
  // The outcome intake is REST only; these keep the table whole.
  GW_INVALID_OUTCOME: status.INVALID_ARGUMENT,
  GW_OUTCOMES_NOT_ENABLED: status.NOT_FOUND,
  GW_OUTCOMES_UNAVAILABLE: status.UNAVAILABLE,
  GW_UPSTREAM_TIMEOUT: status.DEADLINE_EXCEEDED
} as const satisfies Record<ErrorCode, status>

/**
 * The HTTP status a gRPC status stands for, so rollups, metrics and rollout
 * analysis count gRPC answers in the same status classes as REST ones.
 */
const HTTP_OF_GRPC: Readonly<Record<number, number>> = {
  [status.OK]: 200,
  [status.CANCELLED]: 499,
  [status.UNKNOWN]: 500,
  [status.INVALID_ARGUMENT]: 400,
  [status.DEADLINE_EXCEEDED]: 504,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.PERMISSION_DENIED]: 403,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.FAILED_PRECONDITION]: 400,
  [status.ABORTED]: 409,
  [status.OUT_OF_RANGE]: 400,
  [status.UNIMPLEMENTED]: 501,
  [status.INTERNAL]: 500,
  [status.UNAVAILABLE]: 503,
  [status.DATA_LOSS]: 500,
  [status.UNAUTHENTICATED]: 401
}

export function httpStatusOf (code: status): number {
  return HTTP_OF_GRPC[code] ?? 500
}

/** The error a grpc-js handler passes to its callback: status, the catalogue's message, code and ids in the trailers. */
export function grpcError (e: GatewayError, requestId: string, version: string | null): { code: status, details: string, metadata: Metadata } {
  const metadata = new Metadata()
  metadata.set(ERROR_CODE_TRAILER, e.code)
  metadata.set(REQUEST_ID_HEADER, requestId)
  if (version !== null) metadata.set(VERSION_HEADER, version)
  return { code: GRPC_STATUS[e.code], details: e.message, metadata }
}
