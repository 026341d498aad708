import type { FastifyBaseLogger } from 'fastify';
import { CronExpressionParser } from 'cron-parser';
import cron, { type ScheduledTask } from 'node-cron';
import { withTenant, type Db } from '../db/kysely.js';
import { dateInZone } from '../dates.js';
import type { EventBus } from './bus.js';
import type { EventName } from './types.js';

export interface JobDefinition {
  module: string;
  name: string;
  /** Five-field cron expression, evaluated in each tenant's time zone. */
  cron: string;
  /** Emitted with a `ScheduledPeriod` payload; subscribers do the work. */
  event: EventName;
}

/**
 * Scheduled work without double runs: every minute (and once at start), for every job and every
 * tenant that has the job's module enabled, the latest scheduled instant that is due is emitted
 * as an event with the dedupe key `schedule:<module>/<job>@<instant>`. The outbox's unique key
 * makes that happen once across processes and restarts; after an outage only the latest missed
 * period is emitted, once. Periods from before the module was enabled are not.
 */
export class Scheduler {
  private task: ScheduledTask | null = null;
  private lastEmitted = new Map<string, string>();
  private ticking: Promise<void> | null = null;

  constructor(private db: Db, private bus: EventBus, private log: FastifyBaseLogger, private jobs: JobDefinition[]) {
    for (const job of jobs) {
      if (!cron.validate(job.cron)) throw new Error(`Job ${job.module}/${job.name}: '${job.cron}' is not a valid cron expression`);
    }
  }

  async start(): Promise<void> {
    if (this.jobs.length === 0) return;
    await this.tick();
    this.task = cron.createTask('* * * * *', () => { void this.tick(); }, { noOverlap: true, name: 'congno-scheduler' });
    this.task.start();
  }

  async stop(): Promise<void> {
    await this.task?.destroy();
    this.task = null;
    await this.ticking;
  }

  /** Emits every due period not yet emitted. Returns how many events were newly emitted. */
  async tick(now: Date = new Date()): Promise<number> {
    let emitted = 0;
    const run = (async () => {
      for (const job of this.jobs) {
        const tenants = await this.db.selectFrom('core_tenant_module as m')
          .innerJoin('core_tenant as t', 't.id', 'm.tenant_id')
          .select(['t.id', 't.timezone', 'm.enabled_at'])
          .where('m.module', '=', job.module).where('m.state', '=', 'enabled')
          .execute();
        for (const tenant of tenants) {
          const due = CronExpressionParser.parse(job.cron, { currentDate: new Date(now.getTime() + 1), tz: tenant.timezone }).prev().toDate();
          if (tenant.enabled_at && due < tenant.enabled_at) continue;
          const jobName = `${job.module}/${job.name}`;
          const period = due.toISOString();
          const memoKey = `${jobName}|${tenant.id}`;
          if (this.lastEmitted.get(memoKey) === period) continue;
          try {
            const result = await withTenant(this.db, tenant.id, (trx) => this.bus.emit(trx, tenant.id, job.event, {
              job: jobName, period, date: dateInZone(due, tenant.timezone),
            } as never, job.module, { dedupeKey: `schedule:${jobName}@${period}` }));
            if (result.emitted) emitted++;
            this.lastEmitted.set(memoKey, period);
          } catch (err) {
            this.log.error({ err, job: jobName, tenantId: tenant.id }, 'scheduled job could not be emitted; will try again next minute');
          }
        }
      }
    })();
    this.ticking = run;
    await run;
    return emitted;
  }
}
