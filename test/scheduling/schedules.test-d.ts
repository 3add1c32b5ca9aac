import { describe, expectTypeOf, it } from 'vitest';
import { createSchedules, type Schedule, type ScheduleOf } from '../../src/index.js';
import { scheduleContract } from './schedule-contract.js';

declare const schedules: ReturnType<typeof createSchedules<typeof scheduleContract>>;

describe('createSchedules types', () => {
  it('upsert takes a task path of the contract and that task’s input', () => {
    expectTypeOf(schedules.upsert<'reports.daily'>).parameter(1).toHaveProperty('input').toEqualTypeOf<{ day: string; n: number }>();
    expectTypeOf(schedules.upsert('beat', { id: 'a', input: { tag: 'x' }, everyMs: 100 })).resolves.toEqualTypeOf<Schedule<'beat', { tag: string }>>();
    // @ts-expect-error not a task path of the contract
    void schedules.upsert('reports', { id: 'a', input: { tag: 'x' }, everyMs: 100 });
    // @ts-expect-error the input of another task
    void schedules.upsert('reports.daily', { id: 'a', input: { tag: 'x' }, everyMs: 100 });
    // @ts-expect-error cron and everyMs together
    void schedules.upsert('beat', { id: 'a', input: { tag: 'x' }, everyMs: 100, cron: '* * * * *' });
    // @ts-expect-error tz without cron
    void schedules.upsert('beat', { id: 'a', input: { tag: 'x' }, everyMs: 100, tz: 'UTC' });
    void schedules.upsert('beat', { id: 'a', input: { tag: 'x' }, cron: '0 3 * * *', tz: 'Europe/Berlin' }, { catchUp: 'none', timeoutMs: 1_000 });
  });

  it('list and get: narrowing on task types the input', () => {
    expectTypeOf(schedules.list()).resolves.toEqualTypeOf<Array<ScheduleOf<typeof scheduleContract>>>();
    expectTypeOf<Extract<ScheduleOf<typeof scheduleContract>, { task: 'reports.daily' }>['input']>().toEqualTypeOf<{ day: string; n: number }>();
    expectTypeOf<ScheduleOf<typeof scheduleContract>['task']>().toEqualTypeOf<'reports.daily' | 'beat' | 'elsewhere'>();
  });
});
