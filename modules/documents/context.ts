import type { Static } from 'typebox';
import type { ModuleApi } from '../../core/modules/api.js';
import type manifest from './manifest.js';

/** This module's api: what `setup` and the route files are handed. */
export type DocumentsApi = ModuleApi<typeof manifest>;
export type DocumentsSettings = Static<NonNullable<typeof manifest.settings>>;
