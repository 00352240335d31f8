/**
 * Without Bot Framework authentication anyone who can reach `/api/messages` could make the bot
 * POST replies to an arbitrary `serviceUrl` (a server-side request forgery). So unauthenticated
 * deployments answer only activities whose serviceUrl matches an allow-list pattern.
 */
import type { Next, Request, Response } from 'restify';
import { HttpError } from './errors.js';

/** `*` matches any run of characters inside one URL segment (never `/`), e.g. a port. */
function patternToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/\/+$/, '')
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]*');
  return new RegExp(`^${body}(/.*)?$`, 'i');
}

export function serviceUrlAllowed(serviceUrl: unknown, patterns: readonly string[]): boolean {
  if (typeof serviceUrl !== 'string') return false;
  let url: URL;
  try {
    url = new URL(serviceUrl);
  } catch {
    return false;
  }
  // Userinfo ("http://localhost:1@evil") is how allow-lists get fooled; a real channel never sends it.
  if (url.username !== '' || url.password !== '') return false;
  const normalized = `${url.protocol}//${url.host}${url.pathname}`;
  return patterns.some((p) => patternToRegExp(p).test(normalized));
}

/** restify middleware for `/api/messages`; runs after the body parser. */
export function allowServiceUrl(patterns: readonly string[], path = '/api/messages') {
  return function checkServiceUrl(req: Request, _res: Response, next: Next) {
    if (req.getPath() !== path || req.method !== 'POST') return next();
    const body: unknown = req.body;
    const serviceUrl = typeof body === 'object' && body !== null ? (body as { serviceUrl?: unknown }).serviceUrl : undefined;
    if (serviceUrlAllowed(serviceUrl, patterns)) return next();
    return next(new HttpError(403, 'ServiceUrlNotAllowed', 'The activity serviceUrl is not on the allow-list.'));
  };
}
