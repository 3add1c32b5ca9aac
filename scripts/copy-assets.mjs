// tsc does not copy non-TS assets: the Lua scripts are read at runtime next to scripts.js, and the
// dashboard's page (HTML, one ES module, CSS) is served from next to static-files.js.
import { cpSync, mkdirSync } from 'node:fs';
mkdirSync('dist/src/transport/lua', { recursive: true });
cpSync('src/transport/lua', 'dist/src/transport/lua', { recursive: true });
mkdirSync('dist/src/dashboard/static', { recursive: true });
cpSync('src/dashboard/static', 'dist/src/dashboard/static', { recursive: true });
