/**
 * Each module's public service, by module name. A module declares its own entry in its
 * `public.ts`, so `api.service('ledger')` is typed from the ledger's own interface:
 *
 *   declare module '../../core/modules/services.js' { interface ModuleServices { notes: NotesService } }
 *
 * The interface starts empty on purpose: core knows no module.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ModuleServices {}

export type ModuleWithService = keyof ModuleServices & string;
