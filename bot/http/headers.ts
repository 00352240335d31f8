/**
 * Security headers on every response, and the Content-Security-Policy of the chat page.
 * API responses get a policy that allows nothing; the page overrides it with `pageCsp()`.
 */
import type { Next, Request, Response } from 'restify';

/** Nothing may load, run or frame: right for JSON and for error bodies. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The chat page: scripts only from this origin (no inline script, no eval); Web Chat injects its
 * styles at run time, so inline styles are allowed; images may be data:/blob: (avatars, cards).
 * `connect-src 'self'` covers the same-origin ws:/wss: stream in CSP Level 3 browsers.
 */
export function pageCsp(): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' data: blob:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function securityHeaders(options: { hsts: boolean }) {
  return function setSecurityHeaders(_req: Request, res: Response, next: Next) {
    res.header('X-Content-Type-Options', 'nosniff');
    res.header('Referrer-Policy', 'no-referrer');
    res.header('X-Frame-Options', 'DENY');
    res.header('Cross-Origin-Opener-Policy', 'same-origin');
    res.header('Cross-Origin-Resource-Policy', 'same-origin');
    res.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    res.header('Content-Security-Policy', API_CSP);
    if (options.hsts) res.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    return next();
  };
}
