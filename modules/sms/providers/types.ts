import type { Encoding } from '../text.js';

/** A message as a provider sends it. */
export interface Outgoing {
  id: string;
  /** E.164. */
  phone: string;
  text: string;
  encoding: Encoding;
  parts: number;
  /** Zalo: the approved template and its data. */
  template: { id: string; data: Record<string, string> } | null;
}

/**
 * What became of a hand-over:
 * - `submitted`: the provider took it (its id; for SMPP the ids of every part, space-separated);
 * - `refused`: it understood and will not send it (the reason is final for this message);
 * - `retry`: certainly not taken (unreachable, throttled, login refused): it waits and goes later;
 * - `unknown`: it may have been taken (no answer after sending): never sent again by itself.
 */
export type Outcome =
  | { kind: 'submitted'; providerId: string }
  | { kind: 'refused'; code: string; message: string }
  | { kind: 'retry'; message: string }
  | { kind: 'unknown'; message: string };

/** What the network said about a submitted message. */
export interface Report {
  providerId: string;
  state: 'delivered' | 'failed' | 'expired';
  code: string;
  message: string;
  at: Date;
}

export interface Sender {
  /** Sends `messages`, as many at once as the provider's window allows; one outcome per message, in order. */
  send(messages: Outgoing[]): Promise<Outcome[]>;
}

/** A problem+json-free failure of a provider's answer: the words a clerk reads. */
export function describe(err: unknown): string {
  const e = err as Error & { cause?: Error; code?: string };
  return `${e.message}${e.cause?.message ? ` (${e.cause.message})` : ''}`;
}
