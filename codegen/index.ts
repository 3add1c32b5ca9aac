// The codegen API: what the `taskwire codegen` command runs, usable from build scripts too.
export { generate } from './generate.js';
export type { GenerateOptions, GenerateResult } from './generate.js';
export { CodegenError } from './codegen-error.js';
export { writeFileAtomic } from './write-file-atomic.js';
export { HEADER } from './emit-client.js';
