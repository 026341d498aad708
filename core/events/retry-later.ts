/**
 * Thrown by a subscriber for a temporary condition (a server that cannot be reached, a balance to
 * top up): the outbox retries with backoff. Not a bug, so it carries no stack trace into the log.
 */
export class RetryLater extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLater';
    this.stack = `${this.name}: ${message}`;
  }
}
