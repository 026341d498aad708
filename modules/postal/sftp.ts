/**
 * The `sftp-batch` provider: a batch's ZIP uploaded to the mail house's SFTP folder, streamed
 * from the database as the server takes it. It is written as `<file>.part` and renamed when
 * complete, so the mail house never picks up half a file; an upload repeated after a crash or a
 * failure writes the same bytes under the same name (the ZIP is reproducible), so the mail house
 * sees one batch whatever happens.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import path from 'node:path/posix';
import { Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import type { DeliveredEvent, SubscriberContext } from '../../core/events/types.js';
import { RetryLater } from '../../core/events/retry-later.js';
import { getBatch, writeBatchFile } from './batches.js';
import type { PostalApi, PostalSettings } from './context.js';

export const UPLOAD_MAX_ATTEMPTS = 10;

/** `SHA256:<base64>` of a host key, as `ssh-keygen -l` prints it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function connect(sftp: PostalSettings['sftp']): Promise<{ client: Client; session: SFTPWrapper }> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const config: ConnectConfig = {
      host: sftp.host, port: sftp.port, username: sftp.username, readyTimeout: 20_000,
      ...(sftp.privateKey ? { privateKey: sftp.privateKey } : { password: sftp.password ?? '' }),
      ...(sftp.hostKey ? { hostVerifier: (key: Buffer) => fingerprint(key) === sftp.hostKey!.replace(/=$/, '') } : {}),
    };
    client.on('ready', () => client.sftp((err, session) => (err ? (client.end(), reject(err)) : resolve({ client, session }))));
    client.on('error', reject);
    client.connect(config);
  });
}

const call = <T>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T | undefined> =>
  new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

export function batchUploader(api: PostalApi) {
  return async (ctx: SubscriberContext, event: DeliveredEvent<'postal.batch_created'>): Promise<void> => {
    const { trx, tenantId } = ctx;
    const batch = await getBatch(trx, tenantId, event.payload.batchId);
    if (batch.provider !== 'sftp-batch' || batch.upload?.state === 'done') return;
    const settings = await api.settings(trx, tenantId);
    const { sftp } = settings;
    const mark = (state: 'sending' | 'done' | 'failed', result: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      ctx.db.transaction((t) => t.updateTable('postal_batch').set({ upload_state: state, upload_result: JSON.stringify(result), ...extra })
        .where('tenant_id', '=', tenantId).where('id', '=', batch.id).execute());
    if (!sftp.host || !sftp.username) {
      await mark('failed', { code: 'not_configured', message: 'SFTP is not configured: set the postal settings sftp.host and sftp.username; then upload the batch again (POST /api/postal/batches/{id}/upload)' });
      return;
    }
    const target = path.join(sftp.folder || '/', batch.fileName);
    await mark('sending', { code: 'sending', message: `uploading to ${sftp.host}:${target}`, attempt: ctx.attempt });
    let client: Client | null = null;
    try {
      const connection = await connect(sftp);
      client = connection.client;
      const { session } = connection;
      const hash = createHash('sha256');
      let bytes = 0;
      const count = new Transform({ transform(chunk: Buffer, _e, cb) { hash.update(chunk); bytes += chunk.length; cb(null, chunk); } });
      const out = new PassThrough();
      const upload = pipeline(out, count, session.createWriteStream(`${target}.part`, { mode: 0o644 }));
      await Promise.all([writeBatchFile(trx, tenantId, batch, out), upload]);
      await call((cb) => session.unlink(target, () => cb(null))); // the previous upload of the same bytes, if any
      await call((cb) => session.rename(`${target}.part`, target, cb));
      const sha256 = hash.digest('hex');
      await mark('done', { code: 'uploaded', message: `uploaded to ${sftp.host}:${target} (${bytes} bytes, SHA-256 ${sha256})`, host: sftp.host, path: target },
        { uploaded_at: new Date(), state: 'uploaded', sha256, bytes: BigInt(bytes) });
      ctx.log.info({ batchId: batch.id, target, bytes }, 'postal batch uploaded');
    } catch (err) {
      const message = `could not upload to ${sftp.host}:${sftp.port}${target}: ${(err as Error).message}`;
      const last = ctx.attempt >= UPLOAD_MAX_ATTEMPTS;
      await mark('failed', { code: last ? 'unreachable' : 'retrying', message: last ? `${message}; not retried any more — upload it again when the server is back` : `${message}; retrying`, attempt: ctx.attempt });
      if (!last) throw new RetryLater(message);
    } finally {
      client?.end();
    }
  };
}
