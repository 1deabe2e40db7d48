/** A REST error as the portal sends it: HTTP status + `{"error","error_description"}` and never a `time` block. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(`${code}: ${description}`)
  }
  toJSON(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.description }
  }
}

export const E = {
  methodNotFound: () => new RestError(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!'),
  httpsRequired: () => new RestError(400, 'INVALID_REQUEST', 'Https required'),
  noAuth: () => new RestError(401, 'NO_AUTH_FOUND', 'Wrong authorization data'),
  expiredToken: () => new RestError(401, 'expired_token', 'The access token provided has expired.'),
  insufficientScope: () =>
    new RestError(403, 'insufficient_scope', 'The request requires higher privileges than provided by the webhook token'),
  accessDenied: () => new RestError(403, 'ACCESS_DENIED', 'REST API is available only on commercial plans'),
  overload: () => new RestError(503, 'OVERLOAD_LIMIT', 'REST API is blocked due to overload'),
  queryLimit: () => new RestError(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests'),
  operationLimit: () => new RestError(429, 'OPERATION_TIME_LIMIT', 'Method is blocked due to operation time limit.'),
  internal: () => new RestError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'),
  batchLength: () => new RestError(400, 'ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded'),
  batchMethod: () => new RestError(405, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage'),
  bad: (code: string, description: string, status = 400) => new RestError(status, code, description),
} as const

/** The exact body a throttled request gets (bitrix-tools/b24-rest-docs#193). */
export const QLE_BODY = '{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}'
