import type { Generated } from 'kysely';

export interface ExampleNoteTable {
  tenant_id: string;
  id: Generated<string>;
  text: string;
  author_user_id: string | null;
  created_at: Generated<Date>;
  /** Set by the after-commit subscriber: when the note was "published". */
  published_at: Date | null;
  /** The idempotency key the publisher used (eventId:subscriberId). */
  publish_key: string | null;
  /**
   * The customer the note is about, found through the ledger's service when the tenant has the
   * ledger. No foreign key: the ledger is optional, so its tables may not exist. The ref and name
   * are kept as they were when the note was written.
   */
  partner_id: string | null;
  partner_ref: string | null;
  partner_name: string | null;
}

export interface ExampleNoteCounterTable {
  tenant_id: string;
  notes: number;
}

export interface ExampleDigestTable {
  tenant_id: string;
  date: string;
  notes: number;
}

declare module '../../core/db/tables.js' {
  interface Tables {
    example_note: ExampleNoteTable;
    example_note_counter: ExampleNoteCounterTable;
    example_digest: ExampleDigestTable;
  }
}
