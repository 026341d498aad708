/**
 * The day's letters as one batch (providers `sftp-batch` and `print`). At the tenant's cut-off
 * (or when a clerk asks) every queued letter still owed becomes part of the batch of that date —
 * one per provider and date; asking again returns the same batch — in postcode order. A letter
 * whose reminder was cancelled meanwhile (paid) is cancelled instead.
 *
 * The batch's file is built from the stored PDFs each time it is asked for, and is the same bytes
 * every time:
 * - `sftp-batch`: a ZIP (stored, not deflated: the PDFs are compressed already) holding
 *   `manifest.json`, `manifest.csv` and `letters/NNNN-<letter id>.pdf`, written entry by entry as
 *   the reader takes it, so memory stays flat whatever the batch's size; the timestamps are the
 *   batch's date at noon, in DOS form only.
 * - `print`: one PDF, a cover sheet (the counts, the envelopes, the list) and then the letters.
 */
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import { sql } from 'kysely';
import yazl from 'yazl';
import PDFDocument from 'pdfkit';
import { PDFDocument as PdfLib } from 'pdf-lib';
import type { Trx } from '../../core/db/kysely.js';
import { conflict, notFound } from '../../core/errors.js';
import { uuidv7 } from '../../core/ids.js';
import type { Actor } from '../../core/events/types.js';
import type { ActionOutcome } from '../follow-up/public.js';
import type { PostalApi } from './context.js';
import { languageOf, msg } from './i18n/index.js';
import type { Envelope, LetterAddress, PostalBatchTable } from './tables.js';

export interface Batch {
  id: string; provider: 'sftp-batch' | 'print'; date: string; state: PostalBatchTable['state'];
  letters: number; pages: number; sheets: number; fileName: string; sha256: string | null; bytes: bigint | null;
  upload: { state: string; at: string | null; message: string | null } | null;
  createdAt: string; printedAt: string | null; postedAt: string | null;
}

type BatchRow = Awaited<ReturnType<ReturnType<typeof selectBatch>['executeTakeFirstOrThrow']>>;

export function toBatch(r: BatchRow): Batch {
  const message = typeof r.upload_result?.message === 'string' ? r.upload_result.message : null;
  return {
    id: r.id, provider: r.provider, date: r.date, state: r.state, letters: r.letters, pages: r.pages, sheets: r.sheets, fileName: r.file_name,
    sha256: r.sha256, bytes: r.bytes === null ? null : BigInt(r.bytes),
    upload: r.provider === 'sftp-batch' ? { state: r.upload_state ?? 'waiting', at: r.uploaded_at?.toISOString() ?? null, message } : null,
    createdAt: r.created_at.toISOString(), printedAt: r.printed_at?.toISOString() ?? null, postedAt: r.posted_at?.toISOString() ?? null,
  };
}

function selectBatch(trx: Trx, tenantId: string) {
  return trx.selectFrom('postal_batch').select(['id', 'provider', sql<string>`date::text`.as('date'), 'state', 'letters', 'pages', 'sheets', 'file_name', 'sha256', 'bytes',
    'upload_state', 'upload_result', 'uploaded_at', 'created_at', 'printed_at', 'posted_at']).where('tenant_id', '=', tenantId);
}

export async function getBatch(trx: Trx, tenantId: string, id: string): Promise<Batch> {
  const r = await selectBatch(trx, tenantId).where('id', '=', id).executeTakeFirst();
  if (!r) throw notFound(`No batch ${id}.`);
  return toBatch(r);
}

export async function listBatches(trx: Trx, tenantId: string, f: { from?: string; to?: string; state?: string }, limit: number, cursor?: string): Promise<{ items: Batch[]; next: string | null }> {
  let q = selectBatch(trx, tenantId);
  if (f.from) q = q.where('date', '>=', f.from);
  if (f.to) q = q.where('date', '<=', f.to);
  if (f.state) q = q.where('state', '=', f.state as PostalBatchTable['state']);
  if (cursor) q = q.where('id', '<', cursor);
  const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute();
  const shown = rows.slice(0, limit);
  return { items: shown.map(toBatch), next: rows.length > limit ? shown.at(-1)!.id : null };
}

/**
 * Makes the batch of `date` from the queued letters (the existing one when there is one). Null
 * when nothing is queued. The tenant's provider must take batches.
 */
export async function cutBatch(api: PostalApi, trx: Trx, tenantId: string, date: string, actor: Actor): Promise<{ batch: Batch; created: boolean } | null> {
  const settings = await api.settings(trx, tenantId);
  if (settings.provider === 'docsaway') throw conflict('the postal provider is docsaway: letters go out one by one as they are queued, there are no batches', 'provider-sends-letters');
  const provider = settings.provider;
  // One batch per provider and date, also with two servers at the cut-off: the second waits here and finds the first's.
  await sql`select pg_advisory_xact_lock(hashtextextended(${`postal:batch:${tenantId}`}, 0))`.execute(trx);
  const existing = await selectBatch(trx, tenantId).where('provider', '=', provider).where('date', '=', date).executeTakeFirst();
  if (existing) return { batch: toBatch(existing), created: false };

  const queued = await trx.selectFrom('postal_letter').select(['id', 'action_id', 'partner_id', 'pages', 'sheets'])
    .where('tenant_id', '=', tenantId).where('state', '=', 'queued').where('provider', '<>', 'docsaway').where('date', '<=', date)
    .orderBy('id').forUpdate().execute();
  if (queued.length === 0) return null;
  const followUp = api.service('follow-up');
  const ledger = api.service('ledger');
  // Money that arrived since the letter was queued stops it: a partner who owes nothing more gets none.
  const balances = await ledger.partners.balances(await ledger.books.open(trx, tenantId, actor), [...new Set(queued.map((l) => l.partner_id))]);
  const going: typeof queued = [];
  const actions = await followUp.actions.getMany(trx, tenantId, queued.map((l) => l.action_id), { lock: true });
  const cancelled: Array<{ id: string; result: Record<string, string> }> = [];
  const paid: Array<{ actionId: string; outcome: ActionOutcome }> = [];
  for (const letter of queued) {
    const action = actions.get(letter.action_id);
    if (!action || action.state !== 'pending') {
      cancelled.push({ id: letter.id, result: { code: 'reminder_cancelled', message: `not sent: the reminder was ${action?.state ?? 'removed'} before the batch (paid meanwhile?)` } });
    } else if ((balances.get(letter.partner_id)?.balance ?? 0n) <= 0n) {
      const message = `not sent: nothing is owed any more on ${date} (paid since the letter was queued)`;
      cancelled.push({ id: letter.id, result: { code: 'nothing_left', message } });
      paid.push({ actionId: letter.action_id, outcome: { state: 'cancelled', code: 'nothing_left', message: `letter ${message}`, details: { letter: letter.id } } });
    } else {
      going.push(letter);
    }
  }
  if (cancelled.length > 0) {
    await sql`
      update postal_letter l set state = 'cancelled', cancelled_at = now(), result = c.result
      from jsonb_to_recordset(${JSON.stringify(cancelled)}::jsonb) as c(id uuid, result jsonb)
      where l.tenant_id = ${tenantId} and l.id = c.id`.execute(trx);
  }
  await followUp.actions.recordMany(trx, tenantId, 'letter', paid);
  if (going.length === 0) return null;
  const id = uuidv7();
  const fileName = `letters-${date}.${provider === 'print' ? 'pdf' : 'zip'}`;
  await trx.insertInto('postal_batch').values({
    tenant_id: tenantId, id, provider, date, state: 'ready', letters: going.length,
    pages: going.reduce((s, l) => s + l.pages, 0), sheets: going.reduce((s, l) => s + l.sheets, 0), file_name: fileName,
    sha256: null, bytes: null, upload_state: null, upload_result: null,
  }).execute();
  const ids = going.map((l) => l.id);
  await trx.updateTable('postal_letter').set({ state: 'batched', batch_id: id, provider, submitted_at: new Date() })
    .where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
  const message = provider === 'print' ? `letter in the print batch of ${date} (${fileName}), to print and post in the office` : `letter in the batch of ${date} (${fileName}) for the mail house`;
  await followUp.actions.recordMany(trx, tenantId, 'letter', going.map((l) => ({ actionId: l.action_id, outcome: { state: 'sent', code: 'batched', message, details: { letter: l.id, batch: id } } })));
  await api.emitMany(trx, tenantId, 'letter.submitted', going.map((l) => ({ letterId: l.id, actionId: l.action_id, partnerId: l.partner_id, provider, batchId: id, reference: null, price: null, currency: null })), { actor });
  await api.emit(trx, tenantId, 'postal.batch_created', { batchId: id });
  await api.audit(trx, tenantId, { actor, action: 'postal.batch_created', entity: 'postal_batch', entityId: id, after: { date, provider, letters: ids } });
  return { batch: await getBatch(trx, tenantId, id), created: true };
}

interface ManifestLetter {
  sequence: number; letter: string; file: string; partner: { id: string; ref: string; name: string }; lang: string;
  address: LetterAddress; country: string; postcode: string | null; pages: number; sheets: number; envelope: Envelope; sha256: string; bytes: number;
}

/** The batch's letters in the file's order: postcode, then letter id. */
async function manifestOf(trx: Trx, tenantId: string, batchId: string): Promise<ManifestLetter[]> {
  const rows = await sql<{ id: string; partner_id: string; ref: string; name: string; lang: string; address: LetterAddress; pages: number; sheets: number; envelope: Envelope; sha256: string; bytes: number }>`
    select l.id, l.partner_id, p.ref, p.name, l.lang, l.address, l.pages, l.sheets, l.envelope, l.sha256, octet_length(l.pdf) as bytes
    from postal_letter l join ledger_partner p on p.tenant_id = l.tenant_id and p.id = l.partner_id
    where l.tenant_id = ${tenantId} and l.batch_id = ${batchId}
    order by coalesce(l.address->>'postcode', '') collate "C", l.address->>'country' collate "C", l.id`.execute(trx);
  return rows.rows.map((r, i) => {
    const sequence = i + 1;
    return {
      sequence, letter: r.id, file: `letters/${String(sequence).padStart(4, '0')}-${r.id}.pdf`, partner: { id: r.partner_id, ref: r.ref, name: r.name }, lang: r.lang,
      address: r.address, country: r.address.country, postcode: r.address.postcode, pages: r.pages, sheets: r.sheets, envelope: r.envelope, sha256: r.sha256, bytes: r.bytes,
    };
  });
}

const CSV_HEAD = ['sequence', 'letter_id', 'file', 'partner_ref', 'partner_name', 'address_line_1', 'address_line_2', 'address_line_3', 'address_line_4', 'address_line_5', 'address_line_6', 'country', 'postcode', 'pages', 'sheets', 'envelope', 'sha256'];

function csvCell(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function manifestCsv(letters: ManifestLetter[]): string {
  const rows = letters.map((l) => {
    const lines = [...l.address.lines, '', '', '', '', '', ''].slice(0, 6);
    return [l.sequence, l.letter, l.file, l.partner.ref, l.partner.name, ...lines, l.country, l.postcode, l.pages, l.sheets, l.envelope, l.sha256];
  });
  return `\uFEFF${[CSV_HEAD, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

/** A letter's PDF as it was rendered when it was queued. */
export async function storedPdf(trx: Trx, tenantId: string, letterId: string): Promise<Buffer> {
  const row = await trx.selectFrom('postal_letter').select('pdf').where('tenant_id', '=', tenantId).where('id', '=', letterId).executeTakeFirstOrThrow();
  return row.pdf;
}

/** The batch's file, written to `out` in `trx` (the letters are read one at a time as `out` takes them). */
export async function writeBatchFile(trx: Trx, tenantId: string, batch: Batch, out: Writable): Promise<void> {
  const letters = await manifestOf(trx, tenantId, batch.id);
  if (batch.provider === 'print') {
    const pdf = await printFile(trx, tenantId, batch, letters);
    await pipeline(Readable.from([pdf]), out);
    return;
  }
  // Noon of the batch's day in local time: the DOS timestamp of every entry is the same wherever the server runs.
  const [y, m, d] = batch.date.split('-').map(Number) as [number, number, number];
  const entry = { mtime: new Date(y, m - 1, d, 12, 0, 0), mode: 0o100644, compress: false, forceDosTimestamp: true };
  const zip = new yazl.ZipFile();
  const json = Buffer.from(`${JSON.stringify({ batch: batch.id, date: batch.date, provider: batch.provider, letters: letters.length, pages: batch.pages, sheets: batch.sheets, items: letters }, null, 2)}\n`);
  zip.addBuffer(json, 'manifest.json', entry);
  zip.addBuffer(Buffer.from(manifestCsv(letters)), 'manifest.csv', entry);
  for (const l of letters) {
    zip.addReadStreamLazy(l.file, { ...entry, size: l.bytes }, (done) => {
      storedPdf(trx, tenantId, l.letter).then((pdf) => done(null, Readable.from([pdf])), (err: Error) => done(err, undefined as never));
    });
  }
  zip.end();
  await pipeline(zip.outputStream, out);
}

const require = createRequire(import.meta.url);
const FONTS = {
  latin: require.resolve('@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf'),
  cjk: require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf'),
};

/** The cover sheet (in the company's language) and every letter after it, as one PDF. */
async function printFile(trx: Trx, tenantId: string, batch: Batch, letters: ManifestLetter[]): Promise<Buffer> {
  const tenant = await trx.selectFrom('core_tenant').select('locale').where('id', '=', tenantId).executeTakeFirstOrThrow();
  const lang = languageOf(tenant.locale);
  const merged = await PdfLib.create({ updateMetadata: false });
  const at = new Date(`${batch.date}T12:00:00Z`);
  merged.setCreationDate(at);
  merged.setModificationDate(at);
  merged.setProducer('congno postal');
  merged.setTitle(batch.fileName);
  const cover = await PdfLib.load(await coverSheet(batch, letters, lang, at));
  for (const page of await merged.copyPages(cover, cover.getPageIndices())) merged.addPage(page);
  for (const l of letters) {
    const letter = await PdfLib.load(await storedPdf(trx, tenantId, l.letter), { updateMetadata: false });
    for (const page of await merged.copyPages(letter, letter.getPageIndices())) merged.addPage(page);
  }
  return Buffer.from(await merged.save({ useObjectStreams: false }));
}

function coverSheet(batch: Batch, letters: ManifestLetter[], lang: 'vi' | 'en' | 'zh', at: Date): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 56, info: { CreationDate: at, Title: batch.fileName, Producer: 'congno postal', Creator: 'congno' } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.registerFont('latin', FONTS.latin);
    doc.registerFont('cjk', FONTS.cjk);
    // A line takes the Chinese font when it has Chinese characters (a Chinese customer's name in a Vietnamese list).
    const font = (line: string) => doc.font(lang === 'zh' || /[\u3000-\u9fff\uff00-\uffef]/.test(line) ? 'cjk' : 'latin');
    font(msg(lang, 'cover.title')).fontSize(18).text(msg(lang, 'cover.title'));
    doc.moveDown(0.5).fontSize(12).text(msg(lang, 'cover.batch', { date: batch.date }));
    const dl = letters.filter((l) => l.envelope === 'DL').length;
    for (const line of [
      msg(lang, 'cover.letters', { n: letters.length }), msg(lang, 'cover.pages', { n: batch.pages }),
      msg(lang, 'cover.sheets', { n: batch.sheets }), msg(lang, 'cover.envelopes', { dl, c4: letters.length - dl }),
    ]) doc.text(line);
    doc.moveDown().fontSize(10).text(msg(lang, 'cover.order'));
    doc.moveDown().fontSize(9).text(msg(lang, 'cover.list'));
    for (const l of letters) {
      const line = `${l.sequence} · ${l.postcode ?? '—'} · ${l.partner.name} · ${l.pages}`;
      font(line).text(line);
    }
    doc.end();
  });
}
