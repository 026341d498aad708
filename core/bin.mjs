#!/usr/bin/env node
// The `congno` command: TypeScript runs through tsx (no build step), then the CLI itself.
import { register } from 'tsx/esm/api';

register();
const { cli } = await import('./cli.ts');
await cli();
