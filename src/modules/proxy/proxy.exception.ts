import { AppException } from '#src/core/errors/app.exception';

export enum ProxyErrorCode {
  InvalidJson = 'invalid_json',
  BodyTooDeep = 'body_too_deep',
  MissingParameter = 'missing_required_parameter',
  InvalidType = 'invalid_type',
  InvalidValue = 'invalid_value',
  ModelNotFound = 'model_not_found',
  ModelNotAllowed = 'model_not_allowed',
  /** A parameter the gateway understands but cannot honour for this target (a translated surface). */
  UnsupportedParameter = 'unsupported_parameter',
  /** A stored response this key did not create, or that does not exist (`/v1/responses/{id}`). */
  ResponseNotFound = 'response_not_found',
  /** A passed-through stream the provider ended with a failure event (already relayed to the client). */
  UpstreamStreamFailed = 'upstream_stream_failed',
  /** Every target of the call is at its provider quota (`rpm_limit`, `tpm_limit`). */
  UpstreamCapacity = 'upstream_capacity',
}

const STATUS: Record<ProxyErrorCode, number> = {
  [ProxyErrorCode.InvalidJson]: 400,
  [ProxyErrorCode.BodyTooDeep]: 400,
  [ProxyErrorCode.MissingParameter]: 400,
  [ProxyErrorCode.InvalidType]: 400,
  [ProxyErrorCode.InvalidValue]: 400,
  [ProxyErrorCode.ModelNotFound]: 404,
  [ProxyErrorCode.ModelNotAllowed]: 403,
  [ProxyErrorCode.UnsupportedParameter]: 400,
  [ProxyErrorCode.ResponseNotFound]: 404,
  [ProxyErrorCode.UpstreamStreamFailed]: 502,
  [ProxyErrorCode.UpstreamCapacity]: 429,
};

/** Errors of the proxy surface, in OpenAI's shape (SPEC §3). */
export class ProxyException extends AppException {
  constructor(code: ProxyErrorCode, message: string, param: string | null = null) {
    super(code, STATUS[code], message, {
      type:
        code === ProxyErrorCode.ModelNotAllowed
          ? 'permission_error'
          : code === ProxyErrorCode.UpstreamCapacity
            ? 'rate_limit_error'
            : 'invalid_request_error',
      param,
      ...(code === ProxyErrorCode.UpstreamCapacity ? { headers: { 'retry-after': '1' } } : {}),
    });
  }

  static upstreamCapacity(model: string): ProxyException {
    return new ProxyException(
      ProxyErrorCode.UpstreamCapacity,
      `Every provider deployment of '${model}' is at its quota (rpm_limit / tpm_limit); retry shortly.`,
      'model',
    );
  }

  static invalidValue(param: string, message: string): ProxyException {
    return new ProxyException(ProxyErrorCode.InvalidValue, message, param);
  }

  static unsupportedParameter(param: string, message: string): ProxyException {
    return new ProxyException(ProxyErrorCode.UnsupportedParameter, message, param);
  }

  static responseNotFound(id: string, param: string | null = null): ProxyException {
    return new ProxyException(
      ProxyErrorCode.ResponseNotFound,
      `No response found with id '${id.slice(0, 200)}'.`,
      param,
    );
  }

  static modelNotFound(model: string): ProxyException {
    return new ProxyException(
      ProxyErrorCode.ModelNotFound,
      `The model '${model}' does not exist or is not available.`,
      'model',
    );
  }

  static modelNotAllowed(model: string): ProxyException {
    return new ProxyException(
      ProxyErrorCode.ModelNotAllowed,
      `This API key is not allowed to use the model '${model}'.`,
      'model',
    );
  }
}
