/**
 * The README's first session, run as written: its curl lines against a started server (`npm
 * start`'s core/server.ts on a database of its own), and its command-line lines against another
 * database. Only the host and port are adapted; a line that fails (HTTP ≥ 400 or a non-zero exit)
 * fails the test.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { PROJECT_ROOT } from '../../core/app.js';
import { createTestDatabase } from '../helpers/database.js';
import { startServerProcess, stopServerProcess } from '../helpers/server-process.js';

const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');

function block(name: string): string {
  const m = new RegExp(`<!-- ${name} -->\\n\`\`\`sh\\n([^]*?)\`\`\`\\n<!-- /${name} -->`).exec(readme);
  if (!m) throw new Error(`README.md has no <!-- ${name} --> block`);
  return m[1];
}

/** A plain shell environment: without tap's hooks in NODE_OPTIONS. */
function shellEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NODE_OPTIONS|TAP|_TAPJS_|CONGNO_)/.test(k)));
  return { ...env, ...extra };
}

function bash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { cwd: PROJECT_ROOT, env, timeout: 120_000, maxBuffer: 10 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

t.test("the README's curl session works against a started server", async (t) => {
  const script = block('walkthrough');
  const token = /^export CONGNO_ADMIN_TOKEN=(\S+)$/m.exec(script)?.[1];
  t.ok(token, 'the session sets the admin token');
  t.match(script, /^npm start &$/m, 'and starts the server');
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const server = await startServerProcess(database.url, { CONGNO_ADMIN_TOKEN: token!, CONGNO_MODULES: '' });
  t.teardown(() => stopServerProcess(server));
  const hostPort = server.url.replace('http://', '');

  const lines = script.replace(/^export CONGNO_ADMIN_TOKEN=.*\n/m, '').replace(/^npm start &\n/m, '').replaceAll('localhost:3000', hostPort);
  // Every curl of the session must succeed: --fail-with-body turns an HTTP error into a failed line.
  const run = await bash(`set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; echo; }\n${lines}`, shellEnv({ CONGNO_ADMIN_TOKEN: token! }));
  t.equal(run.code, 0, `every line succeeded\n${run.stdout}\n${run.stderr}`);
  const answers = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const modules = answers[0].map((m: { name: string }) => m.name);
  t.ok(['ledger', 'follow-up', 'bank-reconciliation', 'payment-terms'].every((m) => modules.includes(m)), 'the modules a default start installs');
  t.same(answers[2].enabled.sort(), ['follow-up', 'ledger'], 'follow-up brings the ledger');
  const invoice = answers[4];
  t.equal(invoice.total, '10260000', '100 × 95.000 ₫ + 8 % VAT');
  t.equal(answers[5].allocated, '5000000');
  const aging = answers[6];
  t.equal(aging.rows[0].ref, 'KH001');
  t.equal(aging.totals.total, '5260000', 'what Minh Phát still owes');
  t.ok(Array.isArray(answers[7].actions), 'the dry run answers with its actions');
});

t.test("the README's command-line session works", async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const run = await bash(`set -euo pipefail\n${block('walkthrough-cli')}`, shellEnv({ DATABASE_URL: database.url, LOG_LEVEL: 'silent' }));
  t.equal(run.code, 0, `every line succeeded\n${run.stdout}\n${run.stderr}`);
  t.match(run.stdout, /follow-up/, 'the module was enabled');
});
