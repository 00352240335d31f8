/**
 * One error shape for every public endpoint: `{ error: { code, message } }`. Messages of client
 * errors (4xx) and of HttpErrors are written for the caller; anything else is logged in full and
 * answered with a fixed sentence, so no stack trace or internal detail ever reaches a response.
 */
import type { Request, Response, Server } from 'restify';
import type { z } from 'zod';
import type { Logger } from '../logger.js';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * The one way a route reads what the caller sent: the schema's output, or 400 BadArgument naming
 * every bad field ("from: Invalid ISO date; to: …"); `what` stands for the input as a whole when
 * the issue is with all of it ("body: Invalid input: expected object").
 */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown, what = 'body'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new HttpError(400, 'BadArgument', result.error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`).join('; '));
}

interface ErrorLike extends Error {
  statusCode?: number;
  code?: unknown;
  toJSON?: () => unknown;
}

/** Maps restify's error names ("PayloadTooLargeError") to stable codes ("PayloadTooLarge"). */
function codeOf(err: ErrorLike): string {
  if (err instanceof HttpError) return err.code;
  return err.name.replace(/Error$/, '') || 'Error';
}

export function errorBody(err: ErrorLike): { status: number; body: { error: { code: string; message: string } } } {
  const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
  // An HttpError is written for the caller at any status (a 503's "please try again shortly");
  // every other failure is answered with the fixed sentence.
  if (status >= 500 && !(err instanceof HttpError)) {
    return { status, body: { error: { code: 'InternalError', message: 'Internal server error.' } } };
  }
  return { status, body: { error: { code: codeOf(err), message: err.message } } };
}

/** Installs the formatter on restify's single error path (routing, plugins and handlers alike). */
export function formatErrors(server: Server, logger?: Logger): void {
  server.on('restifyError', (req: Request, res: Response, err: ErrorLike, callback: () => void) => {
    const { status, body } = errorBody(err);
    if (status >= 500) logger?.error({ err, url: req.url, method: req.method }, 'request failed');
    // restify sends the error object itself; a numeric statusCode and toJSON decide what goes out.
    err.statusCode = status;
    err.toJSON = () => body;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    callback();
  });
}
