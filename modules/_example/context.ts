import type { ModuleApi } from '../../core/modules/api.js';
import type manifest from './manifest.js';

/** This module's api: what `setup` and the route files are handed, typed by the manifest (settings, service, name). */
export type ExampleApi = ModuleApi<typeof manifest>;
