import { readFileSync, writeFileSync } from 'node:fs';
import ts from 'typescript';

/**
 * Type-checks generated files on their own, as a service would: strict, plus the flags strict
 * projects add. `taskwire` resolves to this package through its package.json `exports`
 * (self-reference), so `dist/` must be built first (`npm test` builds).
 */
export const STANDALONE_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ['lib.es2022.d.ts'],
  types: [],
  skipLibCheck: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  noImplicitReturns: true,
  verbatimModuleSyntax: true,
  isolatedModules: true,
};

/** Diagnostics of the given files, one readable line each; empty means they compile. */
export function compileErrors(files: readonly string[], options: ts.CompilerOptions = STANDALONE_OPTIONS): string[] {
  const program = ts.createProgram({ rootNames: [...files], options });
  const diagnostics = [...program.getOptionsDiagnostics(), ...files.flatMap((f) => {
    const source = program.getSourceFile(f);
    return source ? [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)] : [];
  })];
  return diagnostics.map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

/**
 * A copy of a generated client whose task schema constants are annotated with their generated
 * types (`const fooInputSchema: z.ZodType<FooInput> = ...`), so tsc proves that the emitted zod
 * code and the emitted types agree. The generator leaves these annotations out to keep clients
 * cheap to type-check; the pairing relies on its naming rule `lowerFirst(TypeName) + 'Schema'`.
 */
export function withSchemaAnnotations(file: string, copy: string): string {
  const text = readFileSync(file, 'utf8').replace(
    /^const (\w+)Schema = /gm,
    (_match, base: string) => `const ${base}Schema: z.ZodType<${base.slice(0, 1).toUpperCase()}${base.slice(1)}> = `,
  );
  writeFileSync(copy, text);
  return copy;
}
