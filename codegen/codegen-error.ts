/**
 * A failure the user can fix: a missing file, a missing export, a schema that cannot be
 * expressed. Always rendered as ONE line naming the file, the export and (when known) the task
 * path and the field, so CI logs point straight at the cause.
 */
export class CodegenError extends Error {
  readonly file: string;
  readonly exportName: string | undefined;
  readonly task: string | undefined;
  readonly field: string | undefined;
  readonly reason: string;

  constructor(where: { file: string; exportName?: string; task?: string; field?: string }, reason: string) {
    const location = [
      where.exportName === undefined ? where.file : `${where.file}#${where.exportName}`,
      where.task === undefined ? undefined : `task ${where.task}`,
      where.field === undefined ? undefined : where.field,
    ]
      .filter((part) => part !== undefined)
      .join(' ');
    super(`${location}: ${oneLine(reason)}`);
    this.name = 'CodegenError';
    this.file = where.file;
    this.exportName = where.exportName;
    this.task = where.task;
    this.field = where.field;
    this.reason = reason;
  }
}

/** Messages of thrown errors (syntax errors, zod internals) may span lines; a report may not. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * A schema the generator cannot reproduce, thrown deep inside the schema walk. It knows only
 * the field path; generate() adds the file, export and task before it reaches the user.
 */
export class UnsupportedSchemaError extends Error {
  readonly field: string;
  constructor(field: string, reason: string) {
    super(reason);
    this.name = 'UnsupportedSchemaError';
    this.field = field;
  }
}
