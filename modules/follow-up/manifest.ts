import { Type } from 'typebox';
import { defineModule } from '../../core/modules/manifest.js';

export default defineModule({
  name: 'follow-up',
  version: '1.0.0',
  summary: 'Payment follow-up: levels per plan, a daily run that decides which customer gets which reminder, email reminders, promises and disputes',
  depends: ['ledger'],
  // Before a run, asks the bank module whether statements are fresh (bank.ts), when the tenant has it.
  optional: ['bank-reconciliation'],
  core: '^0.1.0',
  settings: Type.Object({
    /** At least this many days between two reminders to the same partner. */
    minIntervalDays: Type.Integer({ minimum: 0, maximum: 365, default: 5 }),
    /** The daily run starts at this hour, in the tenant's time zone. */
    runHour: Type.Integer({ minimum: 0, maximum: 23, default: 6 }),
    /** The plan of partners that have none of their own. */
    defaultPlan: Type.String({ minLength: 1, maxLength: 64, default: 'default' }),
    /** SMTP server the email reminders go through. `password` is a secret: shown as '***', never audited. */
    email: Type.Object({
      host: Type.String({ default: '' }),
      port: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
      /** true: TLS from the start (port 465); false: STARTTLS when the server offers it. */
      secure: Type.Boolean({ default: false }),
      user: Type.Optional(Type.String()),
      password: Type.Optional(Type.String()),
      /** Sender, e.g. "Phòng kế toán ACME <ketoan@acme.vn>". */
      from: Type.String({ default: '' }),
    }, { default: {}, additionalProperties: false }),
    /** Before a run: bank statements older than this, or unmatched lines, mean payments may be missing. */
    bankFreshness: Type.Object({
      maxAgeDays: Type.Integer({ minimum: 0, maximum: 365, default: 7 }),
      onStale: Type.Union([Type.Literal('warn'), Type.Literal('refuse')], { default: 'warn' }),
    }, { default: {}, additionalProperties: false }),
    /**
     * Tenant templates replacing the shipped ones, keyed `<template>/<channel>.<lang>`
     * (e.g. `overdue/email.vi`): Handlebars, first line `Subject: …`.
     */
    templates: Type.Record(Type.String({ pattern: '^[a-z0-9_-]+/(email|sms|letter)\\.[a-z]{2}$' }), Type.String({ minLength: 1 }), { default: {} }),
  }, { additionalProperties: false }),
  emits: ['followup.clock_ticked', 'followup.run_requested', 'followup.action_created', 'followup.emails_queued', 'followup.email_retry', 'followup.mail_queued'],
  consumes: ['followup.clock_ticked', 'followup.run_requested', 'followup.emails_queued', 'followup.email_retry', 'followup.mail_queued', 'payment.reconciled',
    'invoice.posted', 'invoice.payment_state_changed', 'payment.registered', 'payment.allocated', 'payment.unallocated', 'payment.reversed',
    'opening_balance.imported'],
});
