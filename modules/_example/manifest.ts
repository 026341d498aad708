import { Type } from 'typebox';
import { defineModule } from '../../core/modules/manifest.js';

export default defineModule({
  name: 'example',
  version: '1.1.0',
  summary: 'Notes on a tenant: a small module that shows every part a congno module can have',
  depends: [],
  // A note may name a customer when the tenant keeps its books in congno (service.ts, notePartner).
  optional: ['ledger'],
  core: '^0.1.0',
  settings: Type.Object({
    /** A note containing one of these words is refused (shows a hook's veto). */
    bannedWords: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    /** Longest note accepted. */
    maxLength: Type.Integer({ minimum: 1, maximum: 10_000, default: 2000 }),
  }, { additionalProperties: false }),
  emits: ['note.created', 'note.digest_requested'],
  consumes: ['note.created', 'note.digest_requested'],
});
