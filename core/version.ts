import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The core's version: the package version, which module manifests' `core` ranges are checked against. */
export const CORE_VERSION: string = (require('../package.json') as { version: string }).version;
