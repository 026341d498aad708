import type { ModuleApi } from '../../core/modules/api.js';
import type manifest from './manifest.js';

export type PaymentTermsApi = ModuleApi<typeof manifest>;

/** The tenant a request works for: its id and the currency of its books. */
export interface Tenant { id: string; currency: string }
