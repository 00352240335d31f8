export { HttpConfig } from './config.js';
export { hardenServer, listenHost, type BotIdentity } from './harden.js';
export { HttpError, errorBody, parseOr400 } from './errors.js';
export { API_CSP, pageCsp } from './headers.js';
export { clientIp, createRateLimiter, flexibleLimiter, rateLimitBy, type RateLimit, type RateLimitStore } from './rateLimit.js';
export { serviceUrlAllowed } from './serviceUrl.js';
