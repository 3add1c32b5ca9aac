import { readFile } from 'node:fs/promises';

/**
 * The page as shipped: plain files beside this module (copied to dist/ by the build), read once
 * and kept. No bundler, no framework: one HTML file, one ES module, one stylesheet.
 */
const FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
} as const;

export type StaticName = keyof typeof FILES;

export function isStaticName(name: string): name is StaticName {
  return Object.hasOwn(FILES, name);
}

const cache = new Map<StaticName, Buffer>();

export async function staticFile(name: StaticName): Promise<{ body: Buffer; type: string }> {
  let body = cache.get(name);
  if (!body) {
    body = await readFile(new URL(`./static/${name}`, import.meta.url));
    cache.set(name, body);
  }
  return { body, type: FILES[name] };
}
