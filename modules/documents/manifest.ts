import { Type } from 'typebox';
import { defineModule } from '../../core/modules/manifest.js';


export default defineModule({
  name: 'documents',
  version: '1.0.0',
  summary: 'Printable documents for customers: statements, reminder letters, balance confirmations and VietQR payment codes, in vi, en, zh and ar',
  depends: ['ledger'],
  // Reminder letters are the follow-up's levels; the follow-up's emails take their statement and QR code from here.
  optional: ['follow-up'],
  core: '^0.1.0',
  settings: Type.Object({
    /** The letterhead. An empty name prints the tenant's name. */
    company: Type.Object({
      name: Type.String({ maxLength: 200, default: '' }),
      address: Type.String({ maxLength: 300, default: '' }),
      taxCode: Type.String({ pattern: '^$|^[0-9]{10}(-[0-9]{3})?$', default: '', description: 'Vietnamese tax code (MST): 10 digits, or 10-3 for a branch' }),
      phone: Type.String({ maxLength: 40, default: '' }),
      email: Type.String({ maxLength: 200, default: '' }),
      /** A line at the foot of every page, e.g. the bank details or a registration number. */
      footer: Type.String({ maxLength: 300, default: '' }),
    }, { default: {}, additionalProperties: false }),
    /** The account VietQR codes pay into: a bank's 6-digit NAPAS BIN (see GET /api/documents/banks), the number and the holder's name. */
    bankAccount: Type.Optional(Type.Object({
      bin: Type.String({ pattern: '^[0-9]{6}$' }),
      accountNumber: Type.String({ pattern: '^[0-9A-Za-z]{1,19}$' }),
      accountName: Type.String({ minLength: 1, maxLength: 50 }),
    }, { additionalProperties: false })),
    /** Where the recipient's address is printed so that it shows through an envelope's window (window.ts). */
    window: Type.Object({
      envelope: Type.Union([Type.Literal('DL'), Type.Literal('C5')], { default: 'DL' }),
      side: Type.Union([Type.Literal('left'), Type.Literal('right')], { default: 'left' }),
    }, { default: {}, additionalProperties: false }),
    /**
     * Tenant letters replacing the shipped ones, keyed `<template>/letter.<lang>` (e.g.
     * `overdue/letter.vi`): Handlebars, first line `Subject: …`, then the letter's paragraphs.
     */
    /** Balance confirmations (POST /api/documents/confirmations): how long the customer's link stays open. */
    confirmations: Type.Object({
      validDays: Type.Integer({ minimum: 1, maximum: 365, default: 30 }),
    }, { default: {}, additionalProperties: false }),
    templates: Type.Record(Type.String({ pattern: '^[a-z0-9_-]+/letter\\.(vi|en|zh|ar)$' }), Type.String({ minLength: 1, maxLength: 20_000 }), { default: {} }),
  }, { additionalProperties: false }),
  emits: ['confirmation.answered'],
  consumes: [],
});
