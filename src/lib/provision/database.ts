/**
 * The stack's database (one logical database for a peered pair): schema migrations and the function's
 * database role with its IAM mapping, applied as `admin` by the CLI (never by the function), in DSQL's
 * SQL on both targets (the local cloud's endpoint enforces DSQL's rules).
 */
import type pg from 'pg';
import { connectAsAdmin } from '../dsql-connection.js';
import { applyMigrations, dropFunctionRole, ensureFunctionRole, MIGRATIONS, TABLES } from '../schema.js';
import { ids, roleArn } from './desired.js';
import { USABLE } from './dsql-cluster.js';
import { updateOrNoop } from './support.js';
import type { ProvisionContext, ResourceModule, ResourceRef } from './types.js';

interface ObservedDatabase {
  pendingMigrations: string[];
  roleExists: boolean;
}

/** Runs `work` on an admin connection to the stack's first cluster, or returns undefined when it is not ready. */
async function withAdmin<T>(
  ctx: ProvisionContext,
  ref: ResourceRef,
  work: (client: pg.Client) => Promise<T>,
) {
  const cluster = ctx.facts.get(ids.cluster(ref.region));
  const settings = ctx.databaseSettings.get(ref.region);
  if (!cluster || !settings || !USABLE.has(cluster.status ?? '')) return undefined;
  const client = await connectAsAdmin(settings, ctx.target.clientConfig(ref.region).credentials);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function roleSpec(ctx: ProvisionContext) {
  return { roleName: ctx.names.databaseRole, iamRoleArn: roleArn(ctx, ctx.names.functionRole) };
}

export const database: ResourceModule<ObservedDatabase> = {
  // It connects to the first cluster: its observation needs the clusters' facts and database settings.
  observePhase: 'after-facts',
  deletedByDown: true,

  async observe(ctx, ref) {
    const value = await withAdmin(ctx, ref, async (client) => {
      const table = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [
        TABLES.migrations,
      ]);
      const recorded = table.rows[0]?.ok
        ? new Set(
            (await client.query<{ id: string }>(`SELECT id FROM ${TABLES.migrations}`)).rows.map((r) => r.id),
          )
        : new Set<string>();
      const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [ctx.names.databaseRole]);
      return {
        pendingMigrations: MIGRATIONS.map((m) => m.id).filter((id) => !recorded.has(id)),
        roleExists: (role.rowCount ?? 0) > 0,
      };
    });
    if (!value) return { state: 'absent' };
    const status =
      value.pendingMigrations.length === 0
        ? 'schema current'
        : `${value.pendingMigrations.length} migrations pending`;
    return { state: 'present', value, facts: {}, status };
  },

  diff(_rt, _ref, observed) {
    if (observed.state !== 'present')
      return { action: 'create', reason: 'schema and app role on the new cluster' };
    const { pendingMigrations, roleExists } = observed.value;
    const diffs = [
      ...(pendingMigrations.length > 0 ? [`pending migrations: ${pendingMigrations.join(', ')}`] : []),
      ...(roleExists ? [] : ['database role missing']),
    ];
    return updateOrNoop(diffs);
  },

  async converge(ctx, ref) {
    const done = await withAdmin(ctx, ref, async (client) => {
      const { applied } = await applyMigrations(client);
      if (applied.length > 0) ctx.progress(ref.id, `applied ${applied.join(', ')}`);
      await ensureFunctionRole(client, roleSpec(ctx));
      return true;
    });
    if (!done) throw new Error(`The cluster in ${ref.region} is not ACTIVE; cannot apply the schema.`);
    return {};
  },

  async remove(ctx, ref, observed) {
    if (observed.state !== 'present') return false;
    const result = await withAdmin(ctx, ref, (client) => dropFunctionRole(client, roleSpec(ctx)));
    return result?.changed ?? false;
  },
};
