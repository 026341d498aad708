import pg from 'pg';

let count = 0;
let installed = false;

/**
 * Counts the statements this process sends through the `pg` driver (every `client.query` is one
 * round trip: a parameterised query is parse/bind/execute/sync in one flight). The bench server
 * runs in the bench process, so the count of a load phase is the server's (its relay included).
 */
export function installQueryCounter(): () => number {
  if (!installed) {
    installed = true;
    const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
    pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
      count++;
      return query.apply(this, args);
    } as typeof pg.Client.prototype.query;
  }
  return () => count;
}
