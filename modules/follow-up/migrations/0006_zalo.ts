import { sql, type Kysely } from 'kysely';

/** The `zalo` channel (Zalo ZNS, sent by the sms module) and a level's fallback channels (`{"zalo": "sms"}`). */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table followup_level drop constraint followup_level_channels_check`.execute(db);
  await sql`alter table followup_level add constraint followup_level_channels_check check (channels <@ array['email', 'sms', 'letter', 'zalo']::text[])`.execute(db);
  await sql`alter table followup_level add column fallback jsonb not null default '{}'`.execute(db);
  await sql`alter table followup_action drop constraint followup_action_channel_check`.execute(db);
  await sql`alter table followup_action add constraint followup_action_channel_check check (channel in ('email', 'sms', 'letter', 'zalo'))`.execute(db);
}
