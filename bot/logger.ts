import { pino, type Logger } from 'pino';

/**
 * Structured logs. Fields that can carry personal data are censored by pino itself so a log line
 * can never leak a card number or a verification answer, whatever a caller passes.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'forbear' },
      redact: {
        paths: [
          'text',
          '*.text',
          'activity.text',
          'verification',
          '*.verification',
          'last4',
          'dateOfBirth',
          '*.last4',
          '*.dateOfBirth',
          'req.headers.authorization',
          'headers.authorization',
        ],
        censor: '[REDACTED]',
      },
    },
    destination,
  );
}

export type { Logger };
