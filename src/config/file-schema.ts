import { parse } from 'yaml';
import { z } from 'zod';
import { alertsSchema, digestScheduleSchema } from './schedule-schema.js';
import { DISCOVERY_DEFAULT_INTERVAL_SECONDS, healingSchema, targetNameSchema, targetSchema } from './schema.js';

// The YAML file's parser and schema, apart from schema.ts so that only a run with a file loads them (and the
// schedule schemas, with node-cron's parser): src/config/load.ts imports this file when PGMEDIC_CONFIG is set.
// (A static import here, not `import('yaml')` in load.ts: yaml is CommonJS for Node, and a bundled dynamic import
// of it has only a default export.)

export function parseYaml(text: string): unknown {
  return parse(text);
}

export const fileConfigSchema = z
  .object({
    targets: z.array(targetSchema).min(1, 'list at least one target'),
    defaultTarget: targetNameSchema.optional(),
    healing: healingSchema.optional(),
    /** Scheduled digests and alert watches (src/config/schedule.ts). */
    digests: z.array(digestScheduleSchema).optional(),
    alerts: alertsSchema.optional(),
    /** Targets with `discover: all-databases` are listed again this often (new databases join, dropped ones leave). */
    discovery: z
      .object({ intervalSeconds: z.number().int().min(10).max(86_400).default(DISCOVERY_DEFAULT_INTERVAL_SECONDS) })
      .strict()
      .optional(),
  })
  .strict();

export type FileConfig = z.infer<typeof fileConfigSchema>;
