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
