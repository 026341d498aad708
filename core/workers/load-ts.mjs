// A worker thread's entry point: a worker does not inherit the parent's tsx loader (neither from
// `node --import tsx` nor from core/bin.mjs's register()), so it registers tsx itself and then
// imports the script named in workerData (a .ts file URL).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.script);
