/**
 * AWS Lambda (restJson1): functions per region running the uploaded zip in warm Node worker processes
 * (execution/). State as Lambda reports it: `State` Pending → Active after CreateFunction and
 * `LastUpdateStatus` InProgress → Successful after an update (durations `lambda:CreateFunction` and
 * `lambda:Update` in faults.ts, stored as "ready at" times and settled lazily); a second update while
 * one is in progress is a ResourceConflictException; until an update settles, invocations run the
 * previous code and configuration. The role must exist, trust lambda.amazonaws.com and be older than
 * the IAM propagation window (`iam:Propagation`, default 0).
 */
import { randomUUID } from 'node:crypto';
import { RawResponse, restJson1Service } from '../../protocols/rest-json1.js';
import type { LocalService } from '../../service.js';
import type { InvokeFunction } from '../events/delivery.js';
import type { WriteFunctionLogs } from '../logs/index.js';
import { createCodeLocations } from './code-location.js';
import { lambdaConstraints } from './constraints.js';
import { collectUnusedCode } from './execution/code.js';
import { collectAbandonedSandboxes } from './execution/sandbox.js';
import { createInvoker } from './invoke.js';
import {
  beginUpdate,
  checkUpdatable,
  conflict,
  type FunctionRecord,
  findFunction,
  functionArn,
  functionByTagArn,
  init,
  invalid,
  keyOf,
  NS,
  notFound,
  requireLatest,
  update,
  validation,
} from './model.js';
import { statementFor } from './permissions.js';
import {
  checkHandler,
  checkRange,
  checkRevision,
  checkRole,
  checkRuntime,
  checkTags,
  checkVariables,
  NAME,
  refusePublish,
  storeZip,
} from './validate.js';
import { configurationView, listedView } from './views.js';

/** Lambda, plus the entry point EventBridge delivers through. */
export interface LambdaService extends LocalService {
  invokeFromService: InvokeFunction;
}

const noContent = () => new RawResponse({ status: 204, headers: {}, body: '' });

/** `writeLogs`: where each invocation's lines go (CloudWatch Logs, services/logs/). */
export function createLambdaService(options: { writeLogs: WriteFunctionLogs }): LambdaService {
  const invoker = createInvoker(options.writeLogs);
  const codeLocations = createCodeLocations();
  return {
    control: codeLocations.serve,
    invokeFromService: invoker.invokeFromService,
    ...restJson1Service({
      signingName: 'lambda',
      throttling: { code: 'TooManyRequestsException', status: 429 },
      messageMember: 'Message',
      validationError: 'InvalidParameterValueException',
      violationFields: (_field, message) => ({ Type: 'User', message }),
      model: async () => ({
        schemas: await import('@aws-sdk/client-lambda'),
        constraints: lambdaConstraints,
      }),
      operations: {
        CreateFunction: {
          method: 'POST',
          path: '/2015-03-31/functions',
          status: 201,
          async handler({ body }, ctx) {
            const name = body.FunctionName;
            if (typeof name !== 'string' || !NAME.test(name)) {
              throw validation(
                `1 validation error detected: Value '${String(name)}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ and have length less than or equal to 64`,
              );
            }
            if (body.PackageType === 'Image')
              throw invalid('The dsqlctl local cloud runs Zip functions only.');
            refusePublish(body);
            const runtime = checkRuntime(body.Runtime);
            const handler = checkHandler(body.Handler);
            const timeout = checkRange(body.Timeout ?? 3, 'timeout', 1, 900);
            const memorySize = checkRange(body.MemorySize ?? 128, 'memorySize', 128, 10240);
            const variables = checkVariables(body.Environment);
            const tags = checkTags(body.Tags);
            const role = checkRole(ctx, body.Role);
            const code = storeZip(ctx, (body.Code as { ZipFile?: unknown } | undefined)?.ZipFile);
            return update(ctx, (state) => {
              const key = keyOf(ctx.region, name);
              if (state.functions[key]) throw conflict(`Function already exist: ${name}`);
              const now = ctx.cloud.now();
              const fn: FunctionRecord = {
                name,
                region: ctx.region,
                arn: functionArn(ctx.region, name),
                config: {
                  runtime,
                  role,
                  handler,
                  description: typeof body.Description === 'string' ? body.Description : '',
                  timeout,
                  memorySize,
                  variables,
                  codeSha256: code.sha256,
                  codeId: code.id,
                  codeSize: code.size,
                  revisionId: randomUUID(),
                  lastModified: now,
                },
                activeAt: now + ctx.cloud.faults.durationMs('lambda:CreateFunction'),
                tags,
                policy: [],
              };
              state.functions[key] = fn;
              return configurationView(fn, now);
            });
          },
        },
        GetFunction: {
          method: 'GET',
          path: '/2015-03-31/functions/{FunctionName}',
          handler({ params, query }, ctx) {
            const { fn, qualifier } = findFunction(ctx, params.FunctionName ?? '');
            requireLatest(qualifier ?? query.get('Qualifier'), fn.arn);
            return {
              Configuration: configurationView(fn, ctx.cloud.now()),
              Code: { RepositoryType: 'S3', Location: codeLocations.url(ctx.cloud, fn.config.codeId) },
              ...(Object.keys(fn.tags).length > 0 ? { Tags: fn.tags } : {}),
            };
          },
        },
        GetFunctionConfiguration: {
          method: 'GET',
          path: '/2015-03-31/functions/{FunctionName}/configuration',
          handler({ params, query }, ctx) {
            const { fn, qualifier } = findFunction(ctx, params.FunctionName ?? '');
            requireLatest(qualifier ?? query.get('Qualifier'), fn.arn);
            return configurationView(fn, ctx.cloud.now());
          },
        },
        UpdateFunctionCode: {
          method: 'PUT',
          path: '/2015-03-31/functions/{FunctionName}/code',
          async handler({ params, body }, ctx) {
            const { fn: found } = findFunction(ctx, params.FunctionName ?? '');
            checkRevision(found, body);
            checkUpdatable(found, ctx.cloud.now());
            const code = storeZip(ctx, body.ZipFile);
            return update(ctx, () => {
              const { fn } = findFunction(ctx, params.FunctionName ?? '');
              beginUpdate(ctx, fn, {
                ...fn.config,
                codeSha256: code.sha256,
                codeId: code.id,
                codeSize: code.size,
              });
              return configurationView(fn, ctx.cloud.now());
            });
          },
        },
        UpdateFunctionConfiguration: {
          method: 'PUT',
          path: '/2015-03-31/functions/{FunctionName}/configuration',
          async handler({ params, body }, ctx) {
            const { fn: found } = findFunction(ctx, params.FunctionName ?? '');
            checkRevision(found, body);
            checkUpdatable(found, ctx.cloud.now());
            const c = found.config;
            const next = {
              ...c,
              runtime: body.Runtime === undefined ? c.runtime : checkRuntime(body.Runtime),
              handler: body.Handler === undefined ? c.handler : checkHandler(body.Handler),
              timeout: body.Timeout === undefined ? c.timeout : checkRange(body.Timeout, 'timeout', 1, 900),
              memorySize:
                body.MemorySize === undefined
                  ? c.memorySize
                  : checkRange(body.MemorySize, 'memorySize', 128, 10240),
              description: typeof body.Description === 'string' ? body.Description : c.description,
              variables: body.Environment === undefined ? c.variables : checkVariables(body.Environment),
              role: body.Role === undefined || body.Role === c.role ? c.role : checkRole(ctx, body.Role),
            };
            return update(ctx, () => {
              const { fn } = findFunction(ctx, params.FunctionName ?? '');
              beginUpdate(ctx, fn, next);
              return configurationView(fn, ctx.cloud.now());
            });
          },
        },
        DeleteFunction: {
          method: 'DELETE',
          path: '/2015-03-31/functions/{FunctionName}',
          async handler({ params, query }, ctx) {
            const { fn: found, qualifier } = findFunction(ctx, params.FunctionName ?? '');
            requireLatest(qualifier ?? query.get('Qualifier'), found.arn);
            const key = keyOf(found.region, found.name);
            await update(ctx, (state) => {
              delete state.functions[key];
            });
            await invoker.discard(key);
            return noContent();
          },
        },
        ListFunctions: {
          method: 'GET',
          path: '/2015-03-31/functions',
          handler({ query }, ctx) {
            const maxItems = query.get('MaxItems') === null ? 50 : Number(query.get('MaxItems'));
            checkRange(maxItems, 'maxItems', 1, 10000);
            const marker = query.get('Marker');
            const after = marker ? Buffer.from(marker, 'base64url').toString('utf8') : '';
            const all = Object.values(ctx.cloud.state.read(NS, init).functions)
              .filter((f) => f.region === ctx.region && f.name > after)
              .sort((a, b) => (a.name < b.name ? -1 : 1));
            const page = all.slice(0, maxItems);
            const last = page.at(-1);
            const now = ctx.cloud.now();
            return {
              Functions: page.map((f) => listedView(f, now)),
              ...(all.length > maxItems && last
                ? { NextMarker: Buffer.from(last.name).toString('base64url') }
                : {}),
            };
          },
        },
        Invoke: {
          method: 'POST',
          path: '/2015-03-31/functions/{FunctionName}/invocations',
          payload: 'raw',
          handler: invoker.invoke,
        },
        AddPermission: {
          method: 'POST',
          path: '/2015-03-31/functions/{FunctionName}/policy',
          status: 201,
          handler({ params, query, body }, ctx) {
            return update(ctx, () => {
              const { fn, qualifier } = findFunction(ctx, params.FunctionName ?? '');
              requireLatest(qualifier ?? query.get('Qualifier'), fn.arn);
              const statement = statementFor(fn, body);
              if (fn.policy.some((s) => s.Sid === statement.Sid)) {
                throw conflict(
                  `The statement id (${statement.Sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
                );
              }
              fn.policy.push(statement);
              return { Statement: JSON.stringify(statement) };
            });
          },
        },
        RemovePermission: {
          method: 'DELETE',
          path: '/2015-03-31/functions/{FunctionName}/policy/{StatementId}',
          async handler({ params, query }, ctx) {
            await update(ctx, () => {
              const { fn, qualifier } = findFunction(ctx, params.FunctionName ?? '');
              requireLatest(qualifier ?? query.get('Qualifier'), fn.arn);
              const before = fn.policy.length;
              fn.policy = fn.policy.filter((s) => s.Sid !== params.StatementId);
              if (fn.policy.length === before) {
                throw notFound(`Statement ${params.StatementId} is not found in resource policy.`);
              }
            });
            return noContent();
          },
        },
        GetPolicy: {
          method: 'GET',
          path: '/2015-03-31/functions/{FunctionName}/policy',
          handler({ params, query }, ctx) {
            const { fn, qualifier } = findFunction(ctx, params.FunctionName ?? '');
            requireLatest(qualifier ?? query.get('Qualifier'), fn.arn);
            if (fn.policy.length === 0) throw notFound('The resource you requested does not exist.');
            return {
              Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: fn.policy }),
              RevisionId: fn.config.revisionId,
            };
          },
        },
        TagResource: {
          method: 'POST',
          path: '/2017-03-31/tags/{Resource}',
          async handler({ params, body }, ctx) {
            const tags = checkTags(body.Tags);
            await update(ctx, () => {
              const fn = functionByTagArn(ctx, params.Resource ?? '');
              fn.tags = { ...fn.tags, ...tags };
            });
            return noContent();
          },
        },
        UntagResource: {
          method: 'DELETE',
          path: '/2017-03-31/tags/{Resource}',
          async handler({ params, query }, ctx) {
            const keys = query.getAll('tagKeys');
            await update(ctx, () => {
              const fn = functionByTagArn(ctx, params.Resource ?? '');
              for (const key of keys) delete fn.tags[key];
            });
            return noContent();
          },
        },
        ListTags: {
          method: 'GET',
          path: '/2017-03-31/tags/{Resource}',
          handler({ params }, ctx) {
            return { Tags: functionByTagArn(ctx, params.Resource ?? '').tags };
          },
        },
      },
    }),
    counts(cloud) {
      const counts: Record<string, Record<string, number>> = {};
      for (const fn of Object.values(cloud.state.read(NS, init).functions)) {
        counts[fn.region] = { functions: (counts[fn.region]?.functions ?? 0) + 1 };
      }
      return counts;
    },
    taggedResources: (cloud) =>
      Object.values(cloud.state.read(NS, init).functions).map((fn) => ({
        arn: fn.arn,
        region: fn.region,
        resourceType: 'lambda:function',
        tags: fn.tags,
      })),
    async start(cloud) {
      const referenced = new Set(
        Object.values(cloud.state.read(NS, init).functions).flatMap((f) => [
          f.config.codeId,
          ...(f.previous ? [f.previous.codeId] : []),
        ]),
      );
      collectUnusedCode(cloud.dir, referenced);
      collectAbandonedSandboxes();
      invoker.start(cloud.dir);
    },
    async stop() {
      await invoker.stop();
    },
  };
}
