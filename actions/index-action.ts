import { z } from 'zod';
import { defineCommand } from '../src/engine/command.js';
import { oidOption, textOption } from '../src/engine/units.js';
import { qualifiedName } from '../src/report/format.js';
import type { ActionName } from './names.js';
import { offeredOidRefusal, pinnedObject } from './oid-guard.js';
import {
  collectIndex,
  INDEX_PREVIEW_SQL,
  indexRefusal,
  indexReport,
  pinIndex,
  quotedIndex,
  verifyIndex,
} from './pinned-index.js';

interface IndexActionSpec {
  name: Extract<ActionName, 'drop-index' | 'reindex'>;
  summary: string;
  /** The statement before the index name: `DROP INDEX CONCURRENTLY`, `REINDEX INDEX CONCURRENTLY`. */
  keyword: string;
  /** The report title: `DROP INDEX`, `REINDEX`. */
  title: string;
  /** The card's outcome sentence for a pinned index (params carry schema, index, definition). */
  done(name: string, params: Record<string, string>): string;
  statementTimeoutMs: number;
  failureHint: string;
}

/**
 * An action on one index: preview it, pin its identity and definition, re-verify right before running. Both are
 * destructive (a drop removes the index; a failed concurrent rebuild leaves an invalid copy behind).
 */
export function defineIndexAction(spec: IndexActionSpec) {
  const statement = (params: Record<string, string>) => ({
    text: `${spec.keyword} ${quotedIndex(params)}`,
    values: [],
  });
  const refusalOf = (findings: Parameters<typeof indexRefusal>[0], options: { oid?: number | undefined }) =>
    (findings.index
      ? offeredOidRefusal(
          'index',
          qualifiedName(findings.index.schema, findings.index.index),
          options.oid,
          findings.index.oid,
        )
      : null) ?? indexRefusal(findings, spec.name);
  return defineCommand({
    name: spec.name,
    summary: spec.summary,
    kind: 'action',
    options: z.object({
      index: textOption(300, 'The index, schema-qualified if needed (public.orders_customer_idx)'),
      oid: oidOption('The oid the index had in the report (report buttons set it)'),
    }),
    positionals: ['index'],
    sql: { preview: INDEX_PREVIEW_SQL },

    collect: ({ session }, options) => collectIndex(session, options.index),

    report(findings, { options }) {
      const refusal = refusalOf(findings, options);
      return indexReport(
        spec.title,
        findings,
        refusal,
        findings.index && !refusal ? statement(pinIndex(findings.index)).text : null,
      );
    },

    action: {
      destructive: true,
      pin(findings, options) {
        const refusal = refusalOf(findings, options);
        return refusal || !findings.index ? { refusal: refusal ?? 'No index.' } : { params: pinIndex(findings.index) };
      },
      statement,
      verify: (session, params) => verifyIndex(session, params, spec.name),
      pinnedObject: (params) => pinnedObject('index', params, quotedIndex(params)),
      describeResult: (_rows, params) => ({
        status: 'succeeded',
        summary: spec.done(qualifiedName(params.schema ?? '', params.index ?? ''), params),
      }),
      statementTimeoutMs: spec.statementTimeoutMs,
      lockTimeoutMs: 2_000,
      failureHint: spec.failureHint,
    },
  });
}
