import { Type } from 'typebox';
import { defineModule } from '../../core/modules/manifest.js';

const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
const DECIMAL = '^[0-9]{1,12}(\\.[0-9]{1,4})?$';

export default defineModule({
  name: 'sms',
  version: '1.0.0',
  summary: 'Reminders by SMS (SMPP, eSMS, SpeedSMS or any HTTP gateway) and by Zalo ZNS with SMS as its fallback: each follow-up sms or zalo action sent once, in quiet-hours-safe windows, tracked until the network says delivered',
  // The reminder's facts are the follow-up's; the payment reference is the ledger's.
  depends: ['ledger', 'follow-up'],
  core: '^0.1.0',
  settings: Type.Object({
    /** Who carries the SMS: an SMSC over SMPP 3.4, Vietnam's brandname gateways eSMS or SpeedSMS, or a generic HTTP gateway. */
    provider: Type.Union([Type.Literal('smpp'), Type.Literal('esms'), Type.Literal('speedsms'), Type.Literal('http')], { default: 'smpp' }),
    smpp: Type.Object({
      host: Type.String({ default: '' }),
      port: Type.Integer({ minimum: 1, maximum: 65535, default: 2775 }),
      systemId: Type.String({ maxLength: 15, default: '' }),
      /** A secret, shown as '***'. */
      password: Type.String({ maxLength: 8, default: '' }),
      systemType: Type.String({ maxLength: 12, default: '' }),
      /** The sender: a brandname (alphanumeric, up to 11 characters) or a number. */
      sourceAddr: Type.String({ maxLength: 20, default: '' }),
      /** Submits waiting for their answer at once (the SMSC's window). */
      window: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
      /** Seconds a submit may wait for its answer; after that its outcome is unknown and it is not sent again by itself. */
      timeoutSeconds: Type.Integer({ minimum: 1, maximum: 300, default: 30 }),
    }, { default: {}, additionalProperties: false }),
    esms: Type.Object({
      url: Type.String({ default: 'https://rest.esms.vn/MainService.svc/json' }),
      apiKey: Type.String({ default: '' }),
      secretKey: Type.String({ default: '' }),
      brandname: Type.String({ maxLength: 11, default: '' }),
      /** eSMS checks the request and answers, but sends nothing. */
      sandbox: Type.Boolean({ default: false }),
    }, { default: {}, additionalProperties: false }),
    speedsms: Type.Object({
      url: Type.String({ default: 'https://api.speedsms.vn/index.php' }),
      accessToken: Type.String({ default: '' }),
      /** The registered brandname. */
      sender: Type.String({ maxLength: 11, default: '' }),
    }, { default: {}, additionalProperties: false }),
    http: Type.Object({
      url: Type.String({ default: '' }),
      method: Type.Union([Type.Literal('POST'), Type.Literal('PUT')], { default: 'POST' }),
      /** Sent with every request (an Authorization header is a secret: write it in `secretHeaders`). */
      headers: Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }), Type.String({ maxLength: 1000 }), { default: {} }),
      secretHeaders: Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }), Type.String({ maxLength: 1000 }), { default: {} }),
      /** The JSON body; the strings "{{to}}", "{{text}}", "{{id}}", "{{encoding}}", "{{parts}}", "{{callbackUrl}}" are replaced by the message's values. */
      body: Type.String({ maxLength: 4000, default: '{"to":"{{to}}","text":"{{text}}","reference":"{{id}}"}' }),
      /** Where the gateway's id of the message is in its JSON answer, as dotted keys ("data.id"). */
      idField: Type.String({ pattern: '^[A-Za-z0-9_]+(\\.[A-Za-z0-9_]+)*$', default: 'id' }),
      timeoutSeconds: Type.Integer({ minimum: 1, maximum: 300, default: 30 }),
    }, { default: {}, additionalProperties: false }),
    zalo: Type.Object({
      url: Type.String({ default: 'https://business.openapi.zalo.me' }),
      /** The Official Account's access token; a secret. */
      accessToken: Type.String({ default: '' }),
      /** The OA's secret key, which signs Zalo's webhook calls. */
      oaSecretKey: Type.String({ default: '' }),
      appId: Type.String({ default: '' }),
      /** The approved ZNS template per reminder template (`before_due`, `due`, `overdue`, `final`, or a level's own). */
      templates: Type.Record(Type.String({ pattern: '^[a-z0-9_-]{1,40}$' }), Type.String({ pattern: '^[0-9]{1,20}$' }), { default: {} }),
      /** A ZNS not received within this many minutes goes by SMS (when the level names SMS as the fallback). */
      deliveryMinutes: Type.Integer({ minimum: 1, maximum: 1440, default: 60 }),
      /** Zalo's development mode: only to the OA's test numbers. */
      development: Type.Boolean({ default: false }),
    }, { default: {}, additionalProperties: false }),
    /** Vietnamese written without diacritics (đ→d, ư→u …), so a reminder fits GSM-7: 160 characters a part instead of 70. */
    unaccented: Type.Boolean({ default: false }),
    /** No message outside this window (tenant time zone); what falls outside waits for the next window. */
    quietHours: Type.Object({ from: HHMM, to: HHMM }, { default: { from: '08:00', to: '20:00' }, additionalProperties: false, description: 'The window in which messages may go: from–to (it may pass midnight; the same time twice: no quiet hours)' }),
    /** A reminder longer than this many parts is refused with that reason, never cut. */
    maxParts: Type.Integer({ minimum: 1, maximum: 10, default: 3 }),
    /** What one part costs (company currency, decimal string): the cost of each message is estimated before it goes. */
    pricePerPart: Type.String({ pattern: DECIMAL, default: '0' }),
    /** The number a customer calls back, in the reminder's text. */
    hotline: Type.String({ maxLength: 20, default: '' }),
    /** The tenant's own texts: `<template>/sms.<lang>` → Handlebars source (as the shipped templates/<template>/sms.<lang>.hbs). */
    templates: Type.Record(Type.String({ pattern: '^[a-z0-9_-]{1,40}/sms\\.(vi|en|zh|ar)$' }), Type.String({ minLength: 1, maxLength: 2000 }), { default: {} }),
  }, { additionalProperties: false }),
  emits: ['sms.clock_ticked', 'sms.reminders_received', 'sms.message_queued', 'sms.submitted', 'sms.delivered', 'sms.failed'],
  consumes: ['followup.action_created', 'sms.clock_ticked', 'sms.reminders_received', 'sms.message_queued'],
});
