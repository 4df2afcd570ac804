/**
 * `--json` output: one document per command, the SDK's wire types unchanged (UTC ISO instants, usage as
 * the wire's 4-decimal strings), indented, ending in a newline, so scripts can rely on its shape.
 */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
