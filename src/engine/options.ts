import type { z } from 'zod';
import type { AnyCommand } from './command.js';
import { AppError, closestMatch } from '../errors.js';
import { boundsOf, type Bounds } from './units.js';

export interface OptionInfo {
  /** As typed: --min-size */
  flag: string;
  /** As in the schema: minSize */
  key: string;
  description: string;
  type: 'boolean' | 'number' | 'string' | 'enum';
  choices?: string[];
  defaultValue: unknown;
  /** Declared with the option (src/engine/units.ts): what values it accepts. */
  bounds?: Bounds;
}

const toKebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const toCamel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

interface ZodInternals {
  _zod: {
    def: {
      type: string;
      innerType?: ZodInternals;
      in?: ZodInternals;
      defaultValue?: unknown;
      entries?: Record<string, string>;
      options?: ZodInternals[];
    };
  };
  description?: string;
}

/** Schemas are fixed once loaded: each is described once (the Slack ack path parses every /pg). */
const described = new WeakMap<z.ZodObject, readonly OptionInfo[]>();

/** Reads each option's type, default and description from the zod schema (for parsing and help). */
export function describeOptions(schema: z.ZodObject): readonly OptionInfo[] {
  let infos = described.get(schema);
  if (!infos) {
    infos = Object.freeze(describeFresh(schema));
    described.set(schema, infos);
  }
  return infos;
}

function describeFresh(schema: z.ZodObject): OptionInfo[] {
  return Object.entries(schema.shape).map(([key, field]) => {
    const outer = field as unknown as ZodInternals;
    let inner = outer;
    let defaultValue: unknown;
    while (inner._zod.def.innerType || inner._zod.def.in) {
      if (inner._zod.def.defaultValue !== undefined && defaultValue === undefined)
        defaultValue = inner._zod.def.defaultValue;
      inner = (inner._zod.def.innerType ?? inner._zod.def.in)!;
    }
    const base = inner._zod.def.type;
    const bounds = boundsOf(field);
    const numeric = base === 'number' || bounds?.kind === 'count' || bounds?.kind === 'number';
    const type = base === 'boolean' ? 'boolean' : numeric ? 'number' : base === 'enum' ? 'enum' : 'string';
    const choices = base === 'enum' ? Object.values(inner._zod.def.entries ?? {}) : undefined;
    return {
      flag: `--${toKebab(key)}`,
      key,
      description: outer.description ?? '',
      type,
      ...(choices ? { choices } : {}),
      defaultValue,
      ...(bounds ? { bounds } : {}),
    };
  });
}

/**
 * Turns `--min-size 1GB --exact app` into validated options. Flags: `--name value`, `--name=value`,
 * `--flag` / `--no-flag` for booleans; bare words fill the command's positionals in order; a free-text positional
 * takes the rest of the words, flags included.
 */
export function parseOptions(command: AnyCommand, tokens: readonly string[]): Record<string, unknown> {
  const infos = describeOptions(command.options);
  const byFlag = new Map(infos.map((info) => [info.flag, info]));
  const raw: Record<string, unknown> = {};
  const positionals = [...(command.positionals ?? [])];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (
      command.freeText &&
      positionals[0] === command.freeText &&
      !(command.freeText in raw) &&
      !token.startsWith('--')
    ) {
      raw[command.freeText] = tokens.slice(i).join(' ');
      break;
    }
    if (!token.startsWith('--')) {
      const key = positionals.shift();
      if (!key)
        throw new AppError('bad_input', `\`${command.name}\` does not take ${shown(token)} here.`, {
          hint: `Type \`help ${command.name}\` for its options.`,
        });
      if (key in raw)
        throw new AppError('bad_option', `--${toKebab(key)} is given more than once.`, {
          hint: `Give it once, for example \`${command.name} ${shown(token)}\`.`,
        });
      raw[key] = token;
      continue;
    }
    const [flagPart, inlineValue] = splitFlag(token);
    const negated = flagPart.startsWith('--no-') && byFlag.get(`--${flagPart.slice(5)}`)?.type === 'boolean';
    const info = byFlag.get(negated ? `--${flagPart.slice(5)}` : flagPart);
    if (!info) throw unknownOption(command, flagPart, infos);
    if (info.key in raw)
      throw new AppError('bad_option', `${info.flag} is given more than once.`, {
        hint: `Give it once, for example \`${info.flag} ${exampleValue(info)}\`.`,
      });
    if (info.type === 'boolean') {
      raw[info.key] = negated
        ? booleanValue(`--no-${info.flag.slice(2)}`, inlineValue, false)
        : booleanValue(info.flag, inlineValue, true);
      continue;
    }
    const value = inlineValue ?? tokens[++i];
    if (value === undefined || (value.startsWith('--') && inlineValue === undefined)) {
      throw new AppError('bad_option', `${info.flag} needs a value.`, {
        hint: `For example \`${info.flag} ${exampleValue(info)}\`.`,
      });
    }
    raw[info.key] = value; // number options use z.coerce, so the typed text shows in errors
  }
  return validateOptions(command, raw);
}

/** strict() builds a new schema, which zod compiles on first use: build it once per command (the Slack ack path parses every /pg). */
const strictSchemas = new WeakMap<AnyCommand, z.ZodObject>();

export function validateOptions(command: AnyCommand, raw: Record<string, unknown>): Record<string, unknown> {
  let strict = strictSchemas.get(command);
  if (!strict) {
    strict = command.options.strict();
    strictSchemas.set(command, strict);
  }
  const result = strict.safeParse(raw);
  if (result.success) return result.data as Record<string, unknown>;
  const infos = describeOptions(command.options);
  const issue = result.error.issues[0]!;
  const key = String(issue.path[0] ?? '');
  if (issue.code === 'unrecognized_keys') throw unknownOption(command, `--${toKebab(issue.keys[0] ?? key)}`, infos);
  const info = infos.find((i) => i.key === key);
  const flag = info?.flag ?? `--${toKebab(key)}`;
  const given = raw[key];
  const allowed = info?.choices ? ` Choose one of: ${info.choices.join(', ')}.` : '';
  throw new AppError(
    'bad_option',
    `${flag} ${shown(given)} is not valid for \`${command.name}\`: ${issue.message}.${allowed}`,
    {
      hint: info ? `For example \`${flag} ${exampleValue(info)}\`.` : undefined,
    },
  );
}

const YES = /^(true|on|yes)$/i;
const NO = /^(false|off|no)$/i;

/** `--exact` (when), `--no-exact` (unless), `--exact=yes`; anything but true/false/on/off/yes/no is refused. */
function booleanValue(flag: string, inline: string | undefined, when: boolean): boolean {
  if (inline === undefined) return when;
  if (YES.test(inline) || NO.test(inline)) return YES.test(inline) === when;
  const plain = when ? flag : `--${flag.slice(5)}`;
  throw new AppError('bad_option', `${flag}=${shown(inline)} is not a yes/no value.`, {
    hint: `Type \`${plain}\` or \`--no-${plain.slice(2)}\` (or \`${plain}=true\` / \`${plain}=false\`).`,
  });
}

/** The typed value in a message: JSON-quoted, cut so a huge input cannot make a huge reply. */
const shown = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
};

function splitFlag(token: string): [string, string | undefined] {
  const eq = token.indexOf('=');
  return eq === -1 ? [token, undefined] : [token.slice(0, eq), token.slice(eq + 1)];
}

function unknownOption(command: AnyCommand, flag: string, infos: readonly OptionInfo[]): AppError {
  const near = closestMatch(
    flag,
    infos.map((i) => i.flag),
  );
  const hint = near
    ? `Did you mean \`${near}\`?`
    : infos.length
      ? `Its options are ${infos.map((i) => `\`${i.flag}\``).join(', ')}.`
      : `\`${command.name}\` takes no options.`;
  return new AppError('bad_option', `\`${command.name}\` has no option ${flag.length > 60 ? shown(flag) : flag}.`, {
    hint,
  });
}

function exampleValue(info: OptionInfo): string {
  if (info.choices?.length) return info.choices[0]!;
  if (info.defaultValue !== undefined && info.defaultValue !== '') return String(info.defaultValue);
  return info.type === 'number' ? '10' : 'value';
}

export { toCamel, toKebab };
