/**
 * What other modules may use of this one: the only file of it they may import, and only when
 * `example` is in their manifest's `depends` (or `optional`). Keep it small: every name here is
 * a promise to the modules that build on yours.
 */
import type { Trx } from '../../core/db/kysely.js';
import type { ScheduledPeriod } from '../../core/events/types.js';

/** The service: what `api.service('example')` returns to a dependent, typed from here. */
export interface ExampleService {
  /** How many notes the tenant has written. */
  count(trx: Trx, tenantId: string): Promise<number>;
}

declare module '../../core/modules/services.js' {
  interface ModuleServices { example: ExampleService }
}

/** Event payloads: JSON that only ever grows (add fields, never rename or remove). */
export interface NoteCreated { id: string; text: string }

declare module '../../core/events/types.js' {
  interface EventMap {
    'note.created': NoteCreated;
    'note.digest_requested': ScheduledPeriod;
  }
}

/** No table is public: dependents use the service. A module that wants set-based joins lists its tables here. */
export const publicTables = [] as const;
