// A worker process's entry point (see pool.ts): the worker is started with its own flags, not
// the server's `--import tsx` (nor core/bin.mjs's register()), so it registers tsx itself and
// then imports the script whose file URL it is given.
import { register } from 'tsx/esm/api';

register();
await import(process.argv[2]);
