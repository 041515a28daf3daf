import { z } from 'zod';
import { alertsSchema, digestScheduleSchema } from './schedule-schema.js';
import { healingSchema, targetNameSchema, targetSchema } from './schema.js';

// The YAML file's schema, apart from schema.ts so that only a run with a file loads the schedule schemas (and
// node-cron's parser with them): src/config/load.ts imports this file when PGMEDIC_CONFIG is set.

export const fileConfigSchema = z
  .object({
    targets: z.array(targetSchema).min(1, 'list at least one target'),
    defaultTarget: targetNameSchema.optional(),
    healing: healingSchema.optional(),
    /** Scheduled digests and alert watches (src/config/schedule.ts). */
    digests: z.array(digestScheduleSchema).optional(),
    alerts: alertsSchema.optional(),
  })
  .strict();

export type FileConfig = z.infer<typeof fileConfigSchema>;
