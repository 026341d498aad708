import { Type } from 'typebox';
import { defineModule } from '../../core/modules/manifest.js';

export default defineModule({
  name: 'postal',
  version: '1.0.0',
  summary: 'Reminder letters on paper: each follow-up letter action printed and posted once, through Docsaway, a mail house taking SFTP batches, or the office printer; tracked until delivered or returned',
  // The partner's postal address is the ledger's; the letter is the documents module's; the actions are the follow-up's.
  depends: ['ledger', 'follow-up', 'documents'],
  core: '^0.1.0',
  settings: Type.Object({
    /** Who prints and posts: Docsaway's API, a mail house taking a daily SFTP batch, or the office printer (a daily merged PDF). */
    provider: Type.Union([Type.Literal('docsaway'), Type.Literal('sftp-batch'), Type.Literal('print')], { default: 'print' }),
    /** The day's letters become a batch at this time (tenant time zone), for `sftp-batch` and `print`. */
    cutoff: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', default: '15:00' }),
    /** Printed on both sides of the sheet: sheets = ceil(pages / 2). */
    duplex: Type.Boolean({ default: false }),
    docsaway: Type.Object({
      /** The API's base URL; the four calls are `<url>/account.json`, `station_finder.json`, `pricing.json`, `mail.json`. */
      url: Type.String({ default: 'https://www.docsaway.com/app/api/rest' }),
      email: Type.String({ default: '' }),
      /** The installation key: a secret, shown as '***'. */
      apiKey: Type.String({ default: '' }),
      /** TEST: Docsaway checks and prices the letter but prints nothing. */
      mode: Type.Union([Type.Literal('TEST'), Type.Literal('LIVE')], { default: 'TEST' }),
      ink: Type.Union([Type.Literal('BW'), Type.Literal('CL')], { default: 'BW' }),
      /** Paper weight in g/m². */
      paper: Type.Integer({ minimum: 60, maximum: 120, default: 80 }),
      /** The currency Docsaway prices in (the account's: AUD unless it says otherwise). */
      currency: Type.String({ pattern: '^[A-Z]{3}$', default: 'AUD' }),
      /** Seconds an API call may take; a mail call that outlasts it has an unknown outcome, checked before anything is sent again. */
      timeoutSeconds: Type.Integer({ minimum: 1, maximum: 300, default: 60 }),
    }, { default: {}, additionalProperties: false }),
    sftp: Type.Object({
      host: Type.String({ default: '' }),
      port: Type.Integer({ minimum: 1, maximum: 65535, default: 22 }),
      username: Type.String({ default: '' }),
      password: Type.Optional(Type.String()),
      /** An OpenSSH private key (PEM), instead of the password; a secret. */
      privateKey: Type.Optional(Type.String()),
      /** The server's host key fingerprint, `SHA256:…` as ssh-keygen -l prints it; when set, any other key is refused. */
      hostKey: Type.Optional(Type.String({ pattern: '^SHA256:[A-Za-z0-9+/]{43}=?$' })),
      folder: Type.String({ default: '/' }),
    }, { default: {}, additionalProperties: false }),
  }, { additionalProperties: false }),
  emits: ['postal.clock_ticked', 'postal.letter_queued', 'postal.batch_created', 'letter.submitted', 'letter.posted', 'letter.returned'],
  consumes: ['followup.action_created', 'postal.clock_ticked', 'postal.letter_queued', 'postal.batch_created'],
});
