import { Node, SyntaxKind, type Expression, type ObjectLiteralExpression, type SourceFile } from 'ts-morph';

/**
 * JSDoc written on the contract's source, by task or router path:
 *
 *   export const contract = router({
 *     /** Resizes an image. *\/
 *     resize: task({ ... }),
 *   });
 *
 * Read with ts-morph because comments do not survive into the loaded module. Best effort: a
 * contract built dynamically simply has no docs here, it is never an error.
 */
export function readContractDocs(source: SourceFile, exportName: string): Map<string, string> {
  const docs = new Map<string, string>();
  const root = exportedInitializer(source, exportName);
  if (root) walk(root, '', docs, new Set());
  return docs;
}

function exportedInitializer(source: SourceFile, exportName: string): Expression | undefined {
  // The common case needs no type checker: `export const contract = router({...})`.
  const direct = source.getVariableDeclaration(exportName);
  if (direct?.isExported()) return direct.getInitializer();
  for (const declaration of source.getExportedDeclarations().get(exportName) ?? []) {
    if (Node.isVariableDeclaration(declaration)) return declaration.getInitializer();
  }
  return undefined;
}

/** Unwraps `x as const`, `x satisfies T`, `(x)` and follows identifiers to their initializer. */
function unwrap(expression: Expression, seen: Set<Node>): Expression | undefined {
  let current: Expression = expression;
  for (;;) {
    if (Node.isAsExpression(current) || Node.isSatisfiesExpression(current) || Node.isParenthesizedExpression(current)) {
      current = current.getExpression();
    } else if (Node.isIdentifier(current)) {
      const declaration = variableOf(current);
      const init = declaration?.getInitializer();
      if (!declaration || !init || seen.has(declaration)) return undefined;
      seen.add(declaration);
      current = init;
    } else {
      return current;
    }
  }
}

function variableOf(identifier: Node) {
  const symbol = identifier.getSymbol();
  const target = symbol?.isAlias() ? symbol.getAliasedSymbol() : symbol;
  return target?.getDeclarations().find((d) => Node.isVariableDeclaration(d));
}

function calleeName(call: Node): string | undefined {
  if (!Node.isCallExpression(call)) return undefined;
  const callee = call.getExpression();
  if (Node.isIdentifier(callee)) return callee.getText();
  if (Node.isPropertyAccessExpression(callee)) return callee.getName();
  return undefined;
}

function walk(expression: Expression, prefix: string, docs: Map<string, string>, seen: Set<Node>): void {
  const value = unwrap(expression, seen);
  if (!value || !Node.isCallExpression(value) || calleeName(value) !== 'router') return;
  const shape = value.getArguments()[0];
  if (shape && Node.isObjectLiteralExpression(shape)) walkShape(shape, prefix, docs, seen);
}

function walkShape(shape: ObjectLiteralExpression, prefix: string, docs: Map<string, string>, seen: Set<Node>): void {
  for (const property of shape.getProperties()) {
    let name: string;
    let initializer: Expression | undefined;
    if (Node.isPropertyAssignment(property)) {
      name = property.getNameNode().getText().replace(/^['"]|['"]$/g, '');
      initializer = property.getInitializer();
    } else if (Node.isShorthandPropertyAssignment(property)) {
      name = property.getName();
      initializer = property.getNameNode();
    } else {
      continue;
    }
    const path = prefix ? `${prefix}.${name}` : name;
    const text = docComment(property) ?? (initializer && Node.isIdentifier(initializer) ? variableDoc(initializer) : undefined);
    if (text) docs.set(path, text);
    if (initializer) walk(initializer, path, docs, seen);
  }
}

/** The JSDoc of the `const` an identifier names: `/** doc *\/ export const resize = task(...)`. */
function variableDoc(identifier: Node): string | undefined {
  const statement = variableOf(identifier)?.getFirstAncestorByKind(SyntaxKind.VariableStatement);
  return statement ? docComment(statement) : undefined;
}

/** The text of the last `/** ... *\/` comment right before a node, without the stars. */
function docComment(node: Node): string | undefined {
  const ranges = node.getLeadingCommentRanges().filter((r) => r.getText().startsWith('/**'));
  const last = ranges[ranges.length - 1];
  if (!last) return undefined;
  const text = last
    .getText()
    .replace(/^\/\*\*\s?/, '')
    .replace(/\s*\*\/$/, '')
    .split(/\r?\n/)
    .map((line) => line.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim();
  return text === '' ? undefined : text;
}
