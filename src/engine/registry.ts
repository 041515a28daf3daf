import { ACTIONS } from '../../actions/index.js';
import { COMMANDS as DIAGNOSTICS } from '../../commands/index.js';
import type { AnyCommand } from './command.js';
import { AppError, suggestion } from '../errors.js';
import { EXTRA_COMMANDS } from './extra-commands.js';

/** Diagnostics first, then the actions: the order help shows them. */
const COMMANDS: readonly AnyCommand[] = [...DIAGNOSTICS, ...ACTIONS];

export function listCommands(kind?: AnyCommand['kind']): AnyCommand[] {
  return COMMANDS.filter((c) => !kind || c.kind === kind);
}

export function findCommand(name: string): AnyCommand {
  const command = COMMANDS.find((c) => c.name === name.toLowerCase());
  const extra = EXTRA_COMMANDS.find((c) => c.name === name.toLowerCase());
  // Reached only where the surface does not handle it (`snapshot` in Slack): say where it works instead.
  if (!command && extra?.cliOnly)
    throw new AppError('unknown_command', `\`${extra.name}\` works on the command line only.`, {
      hint: `Run \`${extra.usage('pgmedic')}\` in a terminal; the bot takes snapshots on its own (PGMEDIC_SNAPSHOT_CRON).`,
    });
  if (!command) {
    throw new AppError('unknown_command', `There is no command "${name}".`, {
      hint: `${suggestion(name, [...COMMANDS.map((c) => c.name), ...EXTRA_COMMANDS.map((c) => c.name)])} Type \`help\` for the list.`,
    });
  }
  return command;
}
