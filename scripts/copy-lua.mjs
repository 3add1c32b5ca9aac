// tsc does not copy non-TS assets; the Lua scripts are read at runtime next to scripts.js.
import { cpSync, mkdirSync } from 'node:fs';
mkdirSync('dist/src/transport/lua', { recursive: true });
cpSync('src/transport/lua', 'dist/src/transport/lua', { recursive: true });
