/** Every resource kind's module, by kind: the one table the engine looks a kind up in. */
import { database } from './database.js';
import { dsqlCluster } from './dsql-cluster.js';
import { dsqlPeering } from './dsql-peering.js';
import { eventBus } from './event-bus.js';
import { eventRule } from './event-rule.js';
import { iamRole } from './iam-role.js';
import { iamRolePolicy } from './iam-role-policy.js';
import { lambdaFunction } from './lambda-function.js';
import { lambdaPermission } from './lambda-permission.js';
import { logGroup } from './log-group.js';
import type { ResourceKind, ResourceModule } from './types.js';

export const MODULES: Record<ResourceKind, ResourceModule<unknown>> = {
  'iam-role': iamRole as ResourceModule<unknown>,
  'iam-role-policy': iamRolePolicy as ResourceModule<unknown>,
  'dsql-cluster': dsqlCluster as ResourceModule<unknown>,
  'dsql-peering': dsqlPeering as ResourceModule<unknown>,
  database: database as ResourceModule<unknown>,
  'event-bus': eventBus as ResourceModule<unknown>,
  'event-rule': eventRule as ResourceModule<unknown>,
  'lambda-function': lambdaFunction as ResourceModule<unknown>,
  'lambda-permission': lambdaPermission as ResourceModule<unknown>,
  'log-group': logGroup as ResourceModule<unknown>,
};
