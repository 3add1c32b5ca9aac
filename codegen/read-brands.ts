/** Placeholder: filled in below. */
export function readBrands(_file: string, _exportName: string, _paths: readonly string[]): Map<string, Map<string, string[]>> {
  return new Map();
}
