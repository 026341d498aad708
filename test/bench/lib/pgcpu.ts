import fs from 'node:fs/promises';
import { sql } from 'kysely';
import type { Db } from '../../../core/db/kysely.js';

const TICK_US = 10_000; // Linux USER_HZ is 100 on every mainstream build

async function cpuTicks(pid: number): Promise<{ ppid: number; ticks: number } | null> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (!stat) return null;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime (fields 14–17): exited backends count through their parent.
  return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
}

/**
 * The PostgreSQL server's CPU time (postmaster and every backend) in µs, or null when the server
 * does not run on this machine (/proc shows no such process). Includes other clients' work.
 */
export async function postgresCpuMeter(db: Db): Promise<(() => Promise<number | null>) | null> {
  const backend = Number((await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0].pid);
  const self = await cpuTicks(backend);
  if (!self) return null;
  const postmaster = self.ppid;
  const own = await fs.readFile(`/proc/${postmaster}/cmdline`, 'utf8').catch(() => '');
  if (!own.includes('postgres')) return null;
  return async () => {
    let ticks = 0;
    const pids = (await fs.readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
    for (const pid of pids) {
      const p = await cpuTicks(pid);
      if (p && (pid === postmaster || p.ppid === postmaster)) ticks += p.ticks;
    }
    return ticks * TICK_US;
  };
}
