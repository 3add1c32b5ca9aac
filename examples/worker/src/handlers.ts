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
  albums: {
    // A parent task: one child call per image through ctx.client (crash-safe sub-tasks), its
    // progress reported as they finish (coalesced by taskwire), the results combined.
    process: async ({ album, urls, width }, ctx) => {
      let done = 0;
      const images = await Promise.all(
        urls.map(async (url) => {
          const { url: resized, bytes } = await ctx.client.images.resize({ url, width });
          ctx.progress({ done: ++done, total: urls.length });
          return { url: resized, bytes };
        }),
      );
      return { album, images, bytes: images.reduce((sum, i) => sum + i.bytes, 0) };
    },
    publish: ({ album, images }) => ({ page: `https://albums.example/${encodeURIComponent(album)}`, images: images.length }),
  },
  reports: {
    totals: async ({ from, to, customers }) => {
      const totals = new Map<string, bigint>();
      for (const c of customers) totals.set(c, BigInt(c.length) * 10n ** 18n);
      return { period: [from, to] as [Date, Date], totals };
    },
  },
};
