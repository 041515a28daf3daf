import type { z } from 'zod';
import type { ActionSpec, AnyCommand } from '../engine/command.js';
import { listCommands } from '../engine/registry.js';
import { AppError } from '../errors.js';
import type { HealingDeps } from './types.js';

export interface ActionCommand {
  command: AnyCommand;
  spec: ActionSpec<z.infer<z.ZodObject>, unknown>;
}

/** The registered action command with this name, or a bad_input error naming the actions there are. */
export function findAction(deps: HealingDeps, name: string): ActionCommand {
  const actions = deps.commands ?? listCommands('action');
  const command = actions.find((c) => c.name === name && c.kind === 'action');
  if (!command?.action) {
    throw new AppError('bad_input', `"${name}" is not a healing action.`, {
      hint: `The actions are ${actions.map((c) => `\`${c.name}\``).join(', ')}.`,
    });
  }
  return { command, spec: command.action };
}
