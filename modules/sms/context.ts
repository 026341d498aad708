import type { Static } from 'typebox';
import type { ModuleApi } from '../../core/modules/api.js';
import type manifest from './manifest.js';
import './tables.js';

export type SmsApi = ModuleApi<typeof manifest>;
export type SmsSettings = Static<NonNullable<typeof manifest.settings>>;
