/** A temporary condition the outbox retries with backoff. Not a bug: it carries no stack trace into the log. */
export class RetryLater extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLater';
    this.stack = `${this.name}: ${message}`;
  }
}
