/**
 * AWS Fault Injection Service (restJson1, signing name `fis`, paths from @aws-sdk/client-fis's
 * serializers: `/experimentTemplates[/{id}]`, `/experiments[/{id}]`, `/tags/{resourceArn}`).
 *
 * Served for one action, `aws:dsql:cluster-connection-failure` (target type `aws:dsql:cluster`,
 * parameters `duration` ISO-8601 and `percentage` 1–100; FIS needs `dsql:InjectError`): a running
 * experiment makes its clusters' DSQL endpoint refuse new connections and break open ones
 * (services/dsql/local-endpoint.ts asks `impairmentOf`). Any other action, target selection by tags or
 * filters, stop conditions other than `none`, log configuration and experiment options are refused
 * with a ValidationException naming the limitation. States and timing: experiment.ts.
 *
 * When an experiment starts, FIS assumes its role (the trust policy must let fis.amazonaws.com in,
 * with aws:SourceAccount/aws:SourceArn) and the role's policies must allow dsql:InjectError with the
 * condition keys dsql:FisActionId and dsql:FisTargetArns; otherwise the experiment is `failed` with
 * the reason, as on AWS, and nothing is impaired.
 */
import { arn, LOCAL_ACCOUNT_ID, parseArn, randomId, ServiceError } from '../../aws.js';
import { type RestJsonInput, restJson1Service } from '../../protocols/rest-json1.js';
import type { CallContext, Cloud, LocalService } from '../../service.js';
import type { DsqlState } from '../dsql/cluster-state.js';
import { fisConstraints } from './constraints.js';
import {
  type ActionRecord,
  DSQL_CLUSTER_TARGET,
  DSQL_CONNECTION_FAILURE,
  type ExperimentRecord,
  endTimeAt,
  type FisState,
  initFis,
  isoDurationMs,
  statusAt,
  type TargetRecord,
  type TemplateRecord,
} from './experiment.js';

const NS = 'fis';
/** The action's target key, as FIS names it for the DSQL action. */
const CLUSTERS_TARGET_KEY = 'Clusters';
/** Local bounds of the action's duration (AWS's own range for this action is not in our sources). */
const MIN_DURATION_MS = 1000;
const MAX_DURATION_MS = 12 * 3600 * 1000;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PAGE_SIZE = 100;

const invalid = (message: string) => new ServiceError('ValidationException', message);
const notFound = (message: string) => new ServiceError('ResourceNotFoundException', message, { status: 404 });
const notModelled = (what: string) =>
  invalid(
    `The local cloud does not model ${what}; it serves only ${DSQL_CONNECTION_FAILURE} on ${DSQL_CLUSTER_TARGET} targets given by resourceArns.`,
  );

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const record = (v: unknown) =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function validTargets(raw: unknown): Record<string, TargetRecord> {
  const targets: Record<string, TargetRecord> = {};
  for (const [name, value] of Object.entries(record(raw))) {
    const t = record(value);
    if (t.resourceType !== DSQL_CLUSTER_TARGET)
      notModelledThrow(`the target resource type ${str(t.resourceType)}`);
    if (t.resourceTags !== undefined || t.filters !== undefined || t.parameters !== undefined)
      notModelledThrow('target selection by resourceTags, filters or parameters');
    if (t.selectionMode !== 'ALL') notModelledThrow(`the selection mode ${str(t.selectionMode)} (only ALL)`);
    const arns = Array.isArray(t.resourceArns) ? t.resourceArns.map(str) : [];
    if (arns.length === 0) throw invalid(`Target ${name} must name its clusters in resourceArns.`);
    for (const a of arns) {
      const parsed = parseArn(a);
      if (parsed?.service !== 'dsql' || !parsed.resource.startsWith('cluster/'))
        throw invalid(`Target ${name}: ${a} is not an Aurora DSQL cluster ARN.`);
    }
    targets[name] = { resourceType: DSQL_CLUSTER_TARGET, resourceArns: arns, selectionMode: 'ALL' };
  }
  return targets;
}

function notModelledThrow(what: string): never {
  throw notModelled(what);
}

function validAction(name: string, raw: unknown, targets: Record<string, TargetRecord>): ActionRecord {
  const a = record(raw);
  if (a.actionId !== DSQL_CONNECTION_FAILURE) notModelledThrow(`the action ${str(a.actionId)}`);
  if (Array.isArray(a.startAfter) && a.startAfter.length > 0)
    notModelledThrow('startAfter (one action per template)');
  const parameters = Object.fromEntries(Object.entries(record(a.parameters)).map(([k, v]) => [k, str(v)]));
  for (const key of Object.keys(parameters)) {
    if (key !== 'duration' && key !== 'percentage')
      throw invalid(
        `Action ${name}: ${DSQL_CONNECTION_FAILURE} has no parameter ${key} (it takes duration and percentage).`,
      );
  }
  const duration = isoDurationMs(parameters.duration ?? '');
  if (duration === undefined)
    throw invalid(
      `Action ${name}: duration must be an ISO-8601 duration such as PT1M (got "${parameters.duration ?? ''}").`,
    );
  if (duration < MIN_DURATION_MS || duration > MAX_DURATION_MS)
    throw invalid(`Action ${name}: duration must be between 1 second and 12 hours locally.`);
  if (parameters.percentage !== undefined && !/^(100|[1-9]\d?)$/.test(parameters.percentage))
    throw invalid(`Action ${name}: percentage must be an integer from 1 to 100.`);
  const actionTargets = Object.fromEntries(Object.entries(record(a.targets)).map(([k, v]) => [k, str(v)]));
  const keys = Object.keys(actionTargets);
  if (keys.length !== 1 || keys[0] !== CLUSTERS_TARGET_KEY)
    throw invalid(
      `Action ${name}: ${DSQL_CONNECTION_FAILURE} takes one target, under the key ${CLUSTERS_TARGET_KEY}.`,
    );
  const targetName = actionTargets[CLUSTERS_TARGET_KEY] ?? '';
  if (!targets[targetName])
    throw invalid(`Action ${name}: target ${targetName} is not defined in the template.`);
  return {
    actionId: DSQL_CONNECTION_FAILURE,
    ...(typeof a.description === 'string' ? { description: a.description } : {}),
    parameters,
    targets: actionTargets,
    startAfter: [],
  };
}

function templateView(t: TemplateRecord): Record<string, unknown> {
  return {
    id: t.id,
    arn: t.arn,
    description: t.description,
    targets: t.targets,
    actions: t.actions,
    stopConditions: t.stopConditions,
    creationTime: new Date(t.creationTime),
    lastUpdateTime: new Date(t.lastUpdateTime),
    roleArn: t.roleArn,
    tags: t.tags,
  };
}

function experimentView(e: ExperimentRecord, now: number): Record<string, unknown> {
  const state = statusAt(e, now);
  const end = endTimeAt(e, now);
  const actionState = state.status === 'initiating' ? { status: 'pending', reason: 'Initial state' } : state;
  return {
    id: e.id,
    arn: e.arn,
    experimentTemplateId: e.experimentTemplateId,
    roleArn: e.roleArn,
    state,
    targets: e.targets,
    actions: Object.fromEntries(
      Object.entries(e.actions).map(([name, a]) => [
        name,
        {
          ...a,
          state: actionState,
          ...(now >= e.runningAt && !e.failedReason ? { startTime: new Date(e.runningAt) } : {}),
          ...(end !== undefined ? { endTime: new Date(end) } : {}),
        },
      ]),
    ),
    stopConditions: e.stopConditions,
    creationTime: new Date(e.creationTime),
    startTime: new Date(e.creationTime),
    ...(end !== undefined ? { endTime: new Date(end) } : {}),
    tags: e.tags,
  };
}

const read = (cloud: Cloud) => cloud.state.read(NS, initFis);
const update = <R>(ctx: CallContext, change: (s: FisState) => R) =>
  ctx.cloud.state.update(NS, initFis, change);

function templateIn(state: FisState, region: string, id: string): TemplateRecord {
  const t = Object.hasOwn(state.templates, id) ? state.templates[id] : undefined;
  if (!t || t.region !== region) throw notFound(`Experiment template not found: ${id}`);
  return t;
}

function experimentIn(state: FisState, region: string, id: string): ExperimentRecord {
  const e = Object.hasOwn(state.experiments, id) ? state.experiments[id] : undefined;
  if (!e || e.region !== region) throw notFound(`Experiment not found: ${id}`);
  return e;
}

/** The template or experiment an ARN names (what TagResource and its kin act on). */
function taggable(state: FisState, region: string, resourceArn: string): { tags: Record<string, string> } {
  const parsed = parseArn(resourceArn);
  const [kind, id = ''] = parsed?.resource.split('/') ?? [];
  if (parsed?.service === 'fis' && kind === 'experiment-template') return templateIn(state, region, id);
  if (parsed?.service === 'fis' && kind === 'experiment') return experimentIn(state, region, id);
  throw notFound(`Resource not found: ${resourceArn}`);
}

/** The offset a token resumes at (opaque to callers, as AWS's tokens are). */
function pageOf<T>(items: T[], query: URLSearchParams): { page: T[]; nextToken?: string } {
  const max = Number(query.get('maxResults') ?? PAGE_SIZE);
  const token = query.get('nextToken');
  const offset = token ? Number(Buffer.from(token, 'base64url').toString()) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw invalid('The nextToken is not valid.');
  const page = items.slice(offset, offset + max);
  return offset + max < items.length
    ? { page, nextToken: Buffer.from(String(offset + max)).toString('base64url') }
    : { page };
}

function createTemplate({ body }: RestJsonInput, ctx: CallContext) {
  if (body.logConfiguration !== undefined) notModelledThrow('logConfiguration');
  if (body.experimentOptions !== undefined) notModelledThrow('experimentOptions');
  const stopConditions = (Array.isArray(body.stopConditions) ? body.stopConditions : []).map((c) => {
    const source = str(record(c).source);
    if (source !== 'none') notModelledThrow(`the stop condition source ${source} (only none)`);
    return { source };
  });
  if (stopConditions.length === 0)
    throw invalid('stopConditions must list at least one stop condition (source none).');
  const targets = validTargets(body.targets);
  const actionEntries = Object.entries(record(body.actions));
  if (actionEntries.length !== 1) notModelledThrow('templates with other than one action');
  const actions = Object.fromEntries(actionEntries.map(([name, a]) => [name, validAction(name, a, targets)]));
  const used = new Set(Object.values(actions).flatMap((a) => Object.values(a.targets)));
  for (const name of Object.keys(targets))
    if (!used.has(name)) throw invalid(`Target ${name} is not used by any action.`);
  const token = str(body.clientToken);
  return update(ctx, (state) => {
    const tokenKey = `${ctx.region} template ${token}`;
    const earlier =
      token && Object.hasOwn(state.clientTokens, tokenKey) ? state.clientTokens[tokenKey] : undefined;
    if (earlier && state.templates[earlier])
      return { experimentTemplate: templateView(state.templates[earlier]) };
    const id = `EXT${randomId(14, ID_ALPHABET)}`;
    const now = ctx.cloud.now();
    const template: TemplateRecord = {
      id,
      arn: arn('fis', ctx.region, `experiment-template/${id}`),
      region: ctx.region,
      description: str(body.description),
      roleArn: str(body.roleArn),
      targets,
      actions,
      stopConditions,
      tags: record(body.tags) as Record<string, string>,
      creationTime: now,
      lastUpdateTime: now,
    };
    state.templates[id] = template;
    if (token) state.clientTokens[tokenKey] = id;
    return { experimentTemplate: templateView(template) };
  });
}

/** Why FIS cannot run the experiment with its role, or undefined when it can. */
function roleProblem(cloud: Cloud, e: ExperimentRecord): string | undefined {
  const session = cloud.identity.assumeRole(
    e.roleArn,
    { service: 'fis.amazonaws.com', sessionName: e.id, sourceAccount: LOCAL_ACCOUNT_ID, sourceArn: e.arn },
    cloud.now(),
  );
  if ('refused' in session) return `Unable to assume the experiment role ${e.roleArn}: ${session.refused}`;
  const clusters = [...new Set(Object.values(e.targets).flatMap((t) => t.resourceArns))];
  // dsql:InjectError has no resource type in the Service Authorization Reference: it is checked on `*`.
  const denial = cloud.identity.denialFor(session.accessKeyId, 'dsql:InjectError', '*', e.region, {
    'dsql:FisActionId': DSQL_CONNECTION_FAILURE,
    'dsql:FisTargetArns': clusters,
  });
  return denial?.message;
}

function missingClusters(cloud: Cloud, e: ExperimentRecord): string[] {
  const clusters = cloud.state.read<DsqlState>('dsql', () => ({ clusters: {}, clientTokens: {} })).clusters;
  return Object.values(e.targets)
    .flatMap((t) => t.resourceArns)
    .filter((a) => !Object.hasOwn(clusters, a) || clusters[a]?.status === 'DELETING');
}

function startExperiment({ body }: RestJsonInput, ctx: CallContext) {
  const token = str(body.clientToken);
  return update(ctx, (state) => {
    const tokenKey = `${ctx.region} experiment ${token}`;
    const earlier =
      token && Object.hasOwn(state.clientTokens, tokenKey) ? state.clientTokens[tokenKey] : undefined;
    const now = ctx.cloud.now();
    if (earlier && state.experiments[earlier])
      return { experiment: experimentView(state.experiments[earlier], now) };
    const template = templateIn(state, ctx.region, str(body.experimentTemplateId));
    const id = `EXP${randomId(14, ID_ALPHABET)}`;
    const action = Object.values(template.actions)[0];
    const runningAt = now + ctx.cloud.faults.durationMs('fis:StartExperiment');
    const e: ExperimentRecord = {
      id,
      arn: arn('fis', ctx.region, `experiment/${id}`),
      region: ctx.region,
      experimentTemplateId: template.id,
      roleArn: template.roleArn,
      targets: template.targets,
      actions: template.actions,
      stopConditions: template.stopConditions,
      tags: record(body.tags) as Record<string, string>,
      creationTime: now,
      runningAt,
      endsAt: runningAt + (isoDurationMs(action?.parameters.duration ?? '') ?? 0),
      percentage: Number(action?.parameters.percentage ?? 100),
    };
    const missing = missingClusters(ctx.cloud, e);
    const problem =
      missing.length > 0
        ? `Target resolution failed: no cluster ${missing.join(', ')}`
        : roleProblem(ctx.cloud, e);
    if (problem) e.failedReason = problem;
    state.experiments[id] = e;
    if (token) state.clientTokens[tokenKey] = id;
    return { experiment: experimentView(e, now) };
  });
}

function stopExperiment({ params }: RestJsonInput, ctx: CallContext) {
  return update(ctx, (state) => {
    const e = experimentIn(state, ctx.region, params.id ?? '');
    const now = ctx.cloud.now();
    const { status } = statusAt(e, now);
    // Stopping a finished experiment changes nothing; it answers the experiment as it is.
    if (status === 'initiating' || status === 'running' || status === 'pending') {
      e.stopRequestedAt = now;
      e.stoppedAt = now + ctx.cloud.faults.durationMs('fis:StopExperiment');
    }
    return { experiment: experimentView(e, now) };
  });
}

const fisProtocol = restJson1Service({
  signingName: 'fis',
  throttling: { code: 'ThrottlingException', status: 429 },
  model: async () => ({ schemas: await import('./schema.js'), constraints: fisConstraints }),
  operations: {
    CreateExperimentTemplate: { method: 'POST', path: '/experimentTemplates', handler: createTemplate },
    GetExperimentTemplate: {
      method: 'GET',
      path: '/experimentTemplates/{id}',
      handler: ({ params }, ctx) => ({
        experimentTemplate: templateView(templateIn(read(ctx.cloud), ctx.region, params.id ?? '')),
      }),
    },
    DeleteExperimentTemplate: {
      method: 'DELETE',
      path: '/experimentTemplates/{id}',
      handler: ({ params }, ctx) =>
        update(ctx, (state) => {
          const t = templateIn(state, ctx.region, params.id ?? '');
          delete state.templates[t.id];
          return { experimentTemplate: templateView(t) };
        }),
    },
    ListExperimentTemplates: {
      method: 'GET',
      path: '/experimentTemplates',
      handler: ({ query }, ctx) => {
        const all = Object.values(read(ctx.cloud).templates)
          .filter((t) => t.region === ctx.region)
          .sort((a, b) => a.creationTime - b.creationTime || a.id.localeCompare(b.id));
        const { page, nextToken } = pageOf(all, query);
        return {
          experimentTemplates: page.map((t) => ({
            id: t.id,
            arn: t.arn,
            description: t.description,
            creationTime: new Date(t.creationTime),
            lastUpdateTime: new Date(t.lastUpdateTime),
            tags: t.tags,
          })),
          nextToken,
        };
      },
    },
    StartExperiment: { method: 'POST', path: '/experiments', handler: startExperiment },
    GetExperiment: {
      method: 'GET',
      path: '/experiments/{id}',
      handler: ({ params }, ctx) => ({
        experiment: experimentView(
          experimentIn(read(ctx.cloud), ctx.region, params.id ?? ''),
          ctx.cloud.now(),
        ),
      }),
    },
    StopExperiment: { method: 'DELETE', path: '/experiments/{id}', handler: stopExperiment },
    ListExperiments: {
      method: 'GET',
      path: '/experiments',
      handler: ({ query }, ctx) => {
        const now = ctx.cloud.now();
        const template = query.get('experimentTemplateId');
        const all = Object.values(read(ctx.cloud).experiments)
          .filter((e) => e.region === ctx.region && (!template || e.experimentTemplateId === template))
          .sort((a, b) => b.creationTime - a.creationTime || a.id.localeCompare(b.id));
        const { page, nextToken } = pageOf(all, query);
        return {
          experiments: page.map((e) => ({
            id: e.id,
            arn: e.arn,
            experimentTemplateId: e.experimentTemplateId,
            state: statusAt(e, now),
            creationTime: new Date(e.creationTime),
            tags: e.tags,
          })),
          nextToken,
        };
      },
    },
    TagResource: {
      method: 'POST',
      path: '/tags/{resourceArn}',
      handler: ({ params, body }, ctx) =>
        update(ctx, (state) => {
          const r = taggable(state, ctx.region, params.resourceArn ?? '');
          r.tags = { ...r.tags, ...(record(body.tags) as Record<string, string>) };
          if (Object.keys(r.tags).length > 50) throw invalid('A resource can have at most 50 tags.');
          return {};
        }),
    },
    UntagResource: {
      method: 'DELETE',
      path: '/tags/{resourceArn}',
      handler: ({ params, query }, ctx) =>
        update(ctx, (state) => {
          const r = taggable(state, ctx.region, params.resourceArn ?? '');
          for (const key of query.getAll('tagKeys')) delete r.tags[key];
          return {};
        }),
    },
    ListTagsForResource: {
      method: 'GET',
      path: '/tags/{resourceArn}',
      handler: ({ params }, ctx) => ({
        tags: taggable(read(ctx.cloud), ctx.region, params.resourceArn ?? '').tags,
      }),
    },
  },
});

export const fisService: LocalService = {
  ...fisProtocol,
  counts(cloud) {
    const counts: Record<string, Record<string, number>> = {};
    const of = (region: string) => {
      counts[region] ??= {};
      return counts[region];
    };
    const now = cloud.now();
    const state = read(cloud);
    for (const t of Object.values(state.templates)) {
      const c = of(t.region);
      c.experimentTemplates = (c.experimentTemplates ?? 0) + 1;
    }
    for (const e of Object.values(state.experiments)) {
      if (statusAt(e, now).status !== 'running') continue;
      const c = of(e.region);
      c.runningExperiments = (c.runningExperiments ?? 0) + 1;
    }
    return counts;
  },
  taggedResources: (cloud) => {
    const state = read(cloud);
    return [
      ...Object.values(state.templates).map((t) => ({
        arn: t.arn,
        region: t.region,
        resourceType: 'fis:experiment-template',
        tags: t.tags,
      })),
      ...Object.values(state.experiments).map((e) => ({
        arn: e.arn,
        region: e.region,
        resourceType: 'fis:experiment',
        tags: e.tags,
      })),
    ];
  },
};
