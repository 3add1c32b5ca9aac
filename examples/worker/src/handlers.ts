import type { Handlers } from 'taskwire';
import type { Contract } from '@example/contracts';

/** The implementation. Types of inputs, results and ctx.error come from the contract. */
export const handlers: Handlers<Contract> = {
  images: {
    resize: async ({ url, width }, ctx) => {
      if (url.endsWith('/missing.png')) throw ctx.error('NOT_FOUND', { url });
      await new Promise((r) => setTimeout(r, 5)); // pretend to work
      return { url: url.replace(/\.png$/, `@${width}w.png`), bytes: width * 42, at: new Date() };
    },
  },
  reports: {
    totals: async ({ from, to, customers }) => {
      const totals = new Map<string, bigint>();
      for (const c of customers) totals.set(c, BigInt(c.length) * 10n ** 18n);
      return { period: [from, to] as [Date, Date], totals };
    },
  },
};
