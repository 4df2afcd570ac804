export {
  type ClientOptions,
  DEFAULT_BASE_URL,
  type Logger,
  type LogLevel,
  type RequestOptions,
  VeniceClient,
  VeniceClient as default,
} from './client.js';
export { APIPromise, type WithResponse } from './core/api-promise.js';
export {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  PaymentRequiredError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
  VeniceError,
  VeniceValidationError,
} from './core/errors.js';
export * from './resources/api-keys.js';
export * from './resources/billing.js';
export { VERSION } from './version.js';
