// Before packing, dist/ is rebuilt whole: a module moved or renamed in src/ must not leave its old
// build behind, which the package would ship (with a source map naming a file that no longer
// exists). Only then: `npm run build` itself never deletes dist/, which test processes (and the
// bench's rebuild of a stale dist) read while other tests run.
import { rmSync } from 'node:fs';
rmSync('dist', { recursive: true, force: true });
