import { describe, expect, it } from 'vitest'
import { status } from '@grpc/grpc-js'
import { CATALOGUE, GatewayError, type ErrorCode } from '../../gateway/errors.js'
import { ERROR_CODE_TRAILER, GRPC_STATUS, grpcError, httpStatusOf } from '../../gateway/grpc/status.js'

const CODES = Object.keys(CATALOGUE) as ErrorCode[]

describe('gateway errors as gRPC statuses', () => {
  it.each(CODES)('%s: a gRPC error status of its own (not OK, not UNKNOWN)', (code) => {
    expect([status.OK, status.UNKNOWN]).not.toContain(GRPC_STATUS[code])
  })

  it('gRPC statuses count in the HTTP status classes of the rollups: OK 2xx, client errors 4xx, server trouble 5xx', () => {
    expect([status.OK, status.INVALID_ARGUMENT, status.NOT_FOUND, status.RESOURCE_EXHAUSTED, status.INTERNAL, status.UNAVAILABLE, status.DEADLINE_EXCEEDED].map(httpStatusOf))
      .toEqual([200, 400, 404, 429, 500, 503, 504])
  })

  it('the statuses the protocol names: unknown model NOT_FOUND, malformed INVALID_ARGUMENT, no healthy replica UNAVAILABLE, busy RESOURCE_EXHAUSTED, deadline DEADLINE_EXCEEDED', () => {
    expect([GRPC_STATUS.GW_UNKNOWN_MODEL, GRPC_STATUS.GW_MALFORMED_PROTOBUF, GRPC_STATUS.GW_NO_HEALTHY_REPLICA, GRPC_STATUS.GW_REPLICA_BUSY, GRPC_STATUS.GW_UPSTREAM_TIMEOUT])
      .toEqual([status.NOT_FOUND, status.INVALID_ARGUMENT, status.UNAVAILABLE, status.RESOURCE_EXHAUSTED, status.DEADLINE_EXCEEDED])
  })

  it('the error carries the catalogue\'s message, and its code, request id and version in the trailers', () => {
    const e = grpcError(new GatewayError('GW_UNKNOWN_VERSION', { model: 'm', version: 'v9' }), 'req-1', null)
    expect(e.details).toBe(CATALOGUE.GW_UNKNOWN_VERSION.message({ model: 'm', version: 'v9' }))
    expect(e.metadata.getMap()).toEqual({ [ERROR_CODE_TRAILER]: 'GW_UNKNOWN_VERSION', 'x-request-id': 'req-1' })
  })
})
