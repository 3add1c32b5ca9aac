import { Project, type SourceFile } from 'ts-morph';

/**
 * The contract module as ts-morph sees it, parsed once for everything codegen reads from the
 * source (JSDoc, brands). One Project means one compiler program: building it (parsing zod's
 * declarations, binding) is most of what a codegen run costs, and each reader built its own.
 */
export function openContractSource(file: string): SourceFile {
  const project = new Project({ skipAddingFilesFromTsConfig: true, compilerOptions: { strict: true, allowJs: true, noEmit: true } });
  return project.addSourceFileAtPath(file);
}
