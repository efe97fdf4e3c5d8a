/**
 * Quoting for the bash scripts the exporters write.
 *
 * Hand-written rather than the `shell-quote` npm package because generated scripts need two
 * things it does not do: words that mix literal text with `${VAR}` references (image paths
 * and the runtime folder are only known when the script runs), and readable output — it
 * backslash-escapes every `=` and `,`, which would turn each QEMU option into noise. The rules
 * below are the POSIX ones: single quotes keep everything literal, and inside double quotes
 * only `\`, `"`, `$` and `` ` `` are special (history expansion is off in scripts).
 */

/** One piece of a shell word: literal text, or a reference to a shell variable. */
export type ShellPart = string | { readonly var: string };

/**
 * Characters that never need quoting in an argument (no globbing, expansion or splitting).
 * Commas would be safe too, but shellcheck takes a bare comma in an array for a mistake.
 */
const SAFE = /^[A-Za-z0-9_@%+=:./-]+$/;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const CONTROL = /[\0-\x1f\x7f]/g;
const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

/**
 * `text` as one literal shell word: bare when that is safe, else single-quoted, or in bash's
 * `$'...'` form when it holds control characters (kept on one line) or `$`/backquotes
 * (literal either way, but shellcheck asks whether single-quoted ones were meant to expand).
 */
export function shQuote(text: string): string {
  if (text.includes('\0')) throw new Error('shell-quote: a shell word cannot contain a NUL character');
  if (text === '') return "''";
  if (SAFE.test(text)) return text;
  if (/[\0-\x1f\x7f$`]/.test(text)) {
    const escaped = text
      .replace(/[\\']/g, '\\$&')
      .replace(CONTROL, (c) => NAMED_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    return `$'${escaped}'`;
  }
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** One shell word made of literal parts and variable references, e.g. `"file=${DISK},format=qcow2"`. */
export function shWord(parts: readonly ShellPart[]): string {
  if (parts.every((p) => typeof p === 'string')) return shQuote(parts.join(''));
  const inner = parts
    .map((p) => {
      if (typeof p === 'string') return p.replace(/[\\"$`]/g, '\\$&');
      if (!VAR_NAME.test(p.var)) throw new Error(`shell-quote: "${p.var}" is not a shell variable name`);
      return `\${${p.var}}`;
    })
    .join('');
  return `"${inner}"`;
}

/**
 * Free text (a lab name) made safe for a `# ...` comment line: a newline in a name would
 * otherwise end the comment and turn the rest of the name into a command.
 */
export function shComment(text: string): string {
  return text.replace(/[\0-\x1f\x7f]/g, '?');
}
