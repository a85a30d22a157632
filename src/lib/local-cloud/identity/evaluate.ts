/**
 * IAM policy evaluation as AWS documents it for requests within one account
 * (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and
 * …_policy-eval-basics.html): an explicit Deny in any applicable policy wins; otherwise an Allow in an
 * identity-based policy OR in the resource-based policy allows (the union, within one account); otherwise
 * the request is implicitly denied. The account root is allowed unless a policy explicitly denies it. A
 * caller from another account needs an Allow on both sides. A service principal (events.amazonaws.com
 * invoking a function, lambda.amazonaws.com assuming a role) is allowed only by the resource policy.
 *
 * Why our own module: pbac (MIT, 0.3.2) is unmaintained since 2022, builds a RegExp on every check, reads
 * only the first key under each condition operator, substitutes the key's own name when the key is missing
 * (so negated operators and IfExists come out wrong), and matches actions case-sensitively.
 * @cloud-copilot/iam-simulate does the whole job but is AGPL-3.0, which this MIT CLI cannot ship. So this
 * is one small evaluator covering what dsqlctl's policies use: Allow/Deny, Action/NotAction,
 * Resource/NotResource and Principal/NotPrincipal with `*`/`?` wildcards, and the String*, Arn*, Bool and
 * Null condition operators with their IfExists and ForAllValues/ForAnyValue forms. Patterns are compiled once per document (cached by
 * its JSON text and by object), so no RegExp is built per check.
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: PolicyPrincipal;
  NotPrincipal?: PolicyPrincipal;
  Condition?: Record<string, Record<string, string | boolean | (string | boolean)[]>>;
}

export type PolicyPrincipal = '*' | Record<string, string | string[]>;

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

/** Who is asking: the root, an IAM user, a role session, or an AWS service. */
export type Caller =
  | { kind: 'root'; accountId: string; arn: string }
  | { kind: 'user'; accountId: string; arn: string }
  | { kind: 'role-session'; accountId: string; arn: string; roleArn: string }
  | { kind: 'service'; service: string };

/** Condition keys of the request (`aws:SourceArn`, `iam:PassedToService`…), matched case-insensitively. */
export type RequestContext = Record<string, string | string[] | undefined>;

export interface AuthorizationRequest {
  caller: Caller;
  action: string;
  resource: string;
  context?: RequestContext;
}

export interface ApplicablePolicies {
  /** The caller's identity-based policies (inline user or role policies), as stored (JSON text) or parsed. */
  identity?: (string | PolicyDocument)[];
  /** The resource-based policy (function policy, trust policy), where the service has one. */
  resource?: string | PolicyDocument;
  /** The account that owns the resource. */
  resourceAccount: string;
}

export type Decision =
  | { effect: 'Allow' }
  | { effect: 'Deny'; explicit: true; policy: 'identity' | 'resource' }
  | { effect: 'Deny'; explicit: false; missing: 'identity' | 'resource' };

type Matcher = (value: string) => boolean;
type ConditionTest = (context: Map<string, string[]>) => boolean;

interface CompiledStatement {
  allow: boolean;
  action: Matcher;
  resource: Matcher;
  principal: ((caller: Caller) => 'match' | 'account' | 'none') | undefined;
  condition: ConditionTest;
}

/** Thrown for a document the evaluator cannot read (IAM's MalformedPolicyDocument). */
export class PolicyDocumentError extends Error {
  override name = 'PolicyDocumentError';
}

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const escapeRegExp = (text: string) => text.replace(/[.+^${}()|[\]\\/]/g, '\\$&');

/** `*` and `?` over the whole value; `segment` keeps `*` from crossing a colon. */
function glob(pattern: string, segment = false): string {
  const star = segment ? '[^:]*' : '.*';
  const any = segment ? '[^:]' : '.';
  return escapeRegExp(pattern).replace(/\*/g, star).replace(/\?/g, any);
}

function stringMatcher(patterns: string[], ignoreCase = false): Matcher {
  if (patterns.includes('*')) return () => true;
  const regex = new RegExp(`^(?:${patterns.map((p) => glob(p)).join('|')})$`, ignoreCase ? 'i' : '');
  return (value) => regex.test(value);
}

/**
 * ARN matching (Resource and the Arn* operators): the six colon-separated parts are compared one by one,
 * so a wildcard in the region part cannot swallow the account; the resource part may hold colons.
 */
function arnPattern(pattern: string): string {
  const parts = pattern.split(':');
  if (parts.length < 6) return parts.map((p) => glob(p, true)).join(':');
  const head = parts.slice(0, 5).map((p) => glob(p, true));
  return [...head, glob(parts.slice(5).join(':'))].join(':');
}

function arnMatcher(patterns: string[]): Matcher {
  if (patterns.includes('*')) return () => true;
  const regex = new RegExp(`^(?:${patterns.map(arnPattern).join('|')})$`);
  return (value) => regex.test(value);
}

/** Principal element: `*`, account ids or `arn:…:root`, user and role ARNs, service names. */
function principalMatcher(principal: PolicyPrincipal): (caller: Caller) => 'match' | 'account' | 'none' {
  if (principal === '*') return () => 'match';
  const services = new Set(list(principal.Service).map((s) => s.toLowerCase()));
  const aws = list(principal.AWS);
  if (aws.includes('*')) return (caller) => (caller.kind === 'service' ? 'none' : 'match');
  const accounts = new Set<string>();
  const arns = new Set<string>();
  for (const entry of aws) {
    const root = /^arn:aws:iam::(\d{12}):root$/.exec(entry);
    if (/^\d{12}$/.test(entry)) accounts.add(entry);
    else if (root) accounts.add(root[1] ?? '');
    else arns.add(entry);
  }
  return (caller) => {
    if (caller.kind === 'service') return services.has(caller.service.toLowerCase()) ? 'match' : 'none';
    if (arns.has(caller.arn)) return 'match';
    // A role ARN as principal covers that role's sessions.
    if (caller.kind === 'role-session' && arns.has(caller.roleArn)) return 'match';
    if (accounts.has(caller.accountId)) return caller.kind === 'root' ? 'match' : 'account';
    return 'none';
  };
}

const CONDITION_OPERATORS: Record<string, { negated: boolean; compile: (values: string[]) => Matcher }> = {
  StringEquals: { negated: false, compile: (v) => (x) => v.includes(x) },
  StringNotEquals: { negated: true, compile: (v) => (x) => v.includes(x) },
  StringEqualsIgnoreCase: {
    negated: false,
    compile: (v) => {
      const lower = v.map((s) => s.toLowerCase());
      return (x) => lower.includes(x.toLowerCase());
    },
  },
  StringNotEqualsIgnoreCase: {
    negated: true,
    compile: (v) => {
      const lower = v.map((s) => s.toLowerCase());
      return (x) => lower.includes(x.toLowerCase());
    },
  },
  StringLike: { negated: false, compile: (v) => stringMatcher(v) },
  StringNotLike: { negated: true, compile: (v) => stringMatcher(v) },
  ArnEquals: { negated: false, compile: arnMatcher },
  ArnLike: { negated: false, compile: arnMatcher },
  ArnNotEquals: { negated: true, compile: arnMatcher },
  ArnNotLike: { negated: true, compile: arnMatcher },
  Bool: {
    negated: false,
    compile: (v) => {
      const lower = v.map((s) => s.toLowerCase());
      return (x) => lower.includes(x.toLowerCase());
    },
  },
};

/**
 * A Condition block: every operator and every key must hold; a key holds when any of its values matches.
 * A key missing from the request makes a positive operator false and a negated one true; `…IfExists`
 * makes a missing key true; `Null: true` means "missing" (IAM condition operators page, "Important").
 */
function compileCondition(condition: PolicyStatement['Condition']): ConditionTest {
  if (!condition) return () => true;
  const tests: ConditionTest[] = [];
  for (const [operatorName, keys] of Object.entries(condition)) {
    for (const [rawKey, rawValues] of Object.entries(keys)) {
      const key = rawKey.toLowerCase();
      const values = list(rawValues).map(String);
      if (operatorName === 'Null') {
        const wantMissing = values.map((v) => v.toLowerCase() === 'true');
        tests.push((context) => wantMissing.includes(!context.has(key)));
        continue;
      }
      // Set operators for multivalued keys (dsql:FisTargetArns): ForAllValues holds when every value
      // of the request matches (and when the key is missing), ForAnyValue when one does.
      const setOperator = /^(ForAllValues|ForAnyValue):/.exec(operatorName)?.[1];
      const baseName = setOperator ? operatorName.slice(setOperator.length + 1) : operatorName;
      const ifExists = baseName.endsWith('IfExists');
      const operator = CONDITION_OPERATORS[ifExists ? baseName.slice(0, -'IfExists'.length) : baseName];
      if (!operator) {
        throw new PolicyDocumentError(
          `The local cloud does not evaluate the condition operator ${operatorName}.`,
        );
      }
      const matches = operator.compile(values);
      if (setOperator === 'ForAllValues') {
        tests.push((context) =>
          (context.get(key) ?? []).every((v) => (operator.negated ? !matches(v) : matches(v))),
        );
        continue;
      }
      if (setOperator === 'ForAnyValue') {
        tests.push((context) =>
          (context.get(key) ?? []).some((v) => (operator.negated ? !matches(v) : matches(v))),
        );
        continue;
      }
      tests.push((context) => {
        const present = context.get(key);
        if (present === undefined) return ifExists || operator.negated;
        const any = present.some(matches);
        return operator.negated ? !any : any;
      });
    }
  }
  return (context) => tests.every((test) => test(context));
}

function compileStatement(statement: PolicyStatement): CompiledStatement {
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    throw new PolicyDocumentError('Each statement needs an Effect of Allow or Deny.');
  }
  const actions = statement.Action ?? statement.NotAction;
  if (actions === undefined) throw new PolicyDocumentError('Each statement needs an Action or NotAction.');
  // Action names are case-insensitive (`dsql:getcluster` is `dsql:GetCluster`).
  const actionMatch = stringMatcher(list(actions), true);
  const resources = statement.Resource ?? statement.NotResource;
  const resourceMatch = resources === undefined ? () => true : arnMatcher(list(resources));
  const principal = statement.Principal ?? statement.NotPrincipal;
  const principalMatch = principal === undefined ? undefined : principalMatcher(principal);
  return {
    allow: statement.Effect === 'Allow',
    action: statement.Action !== undefined ? actionMatch : (a) => !actionMatch(a),
    resource: statement.NotResource !== undefined ? (r) => !resourceMatch(r) : resourceMatch,
    principal:
      principalMatch && statement.NotPrincipal !== undefined
        ? (caller) => (principalMatch(caller) === 'none' ? 'match' : 'none')
        : principalMatch,
    condition: compileCondition(statement.Condition),
  };
}

const byText = new Map<string, CompiledStatement[]>();
const byObject = new WeakMap<PolicyDocument, CompiledStatement[]>();
/** Stored documents are few (one per role, user and function); the bound only guards against churn. */
const MAX_CACHED_TEXTS = 10_000;

/** Compiles a document once; later calls with the same text or object reuse the compiled statements. */
export function compilePolicy(document: string | PolicyDocument): readonly CompiledStatement[] {
  if (typeof document === 'string') {
    const cached = byText.get(document);
    if (cached) return cached;
    let parsed: PolicyDocument;
    try {
      parsed = JSON.parse(document) as PolicyDocument;
    } catch {
      throw new PolicyDocumentError('The policy document is not valid JSON.');
    }
    const compiled = compileDocument(parsed);
    if (byText.size >= MAX_CACHED_TEXTS) byText.clear();
    byText.set(document, compiled);
    return compiled;
  }
  const cached = byObject.get(document);
  if (cached) return cached;
  const compiled = compileDocument(document);
  byObject.set(document, compiled);
  return compiled;
}

function compileDocument(document: PolicyDocument): CompiledStatement[] {
  if (!document || typeof document !== 'object' || document.Statement === undefined) {
    throw new PolicyDocumentError('The policy document needs a Statement.');
  }
  return list(document.Statement).map(compileStatement);
}

function contextMap(context: RequestContext | undefined): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [key, value] of Object.entries(context ?? {})) {
    if (value !== undefined) map.set(key.toLowerCase(), list(value));
  }
  return map;
}

/** What a document says about a request: an explicit Deny, an Allow (for a principal, `account`-wide), or nothing. */
function verdict(
  statements: readonly CompiledStatement[],
  request: AuthorizationRequest,
  context: Map<string, string[]>,
  withPrincipal: boolean,
): 'deny' | 'allow' | 'account' | 'none' {
  let result: 'allow' | 'account' | 'none' = 'none';
  for (const s of statements) {
    if (!s.action(request.action) || !s.resource(request.resource)) continue;
    let scope: 'match' | 'account' = 'match';
    if (withPrincipal) {
      const who = s.principal?.(request.caller) ?? 'none';
      if (who === 'none') continue;
      scope = who;
    }
    if (!s.condition(context)) continue;
    if (!s.allow) return 'deny';
    if (scope === 'match') result = 'allow';
    else if (result === 'none') result = 'account';
  }
  return result;
}

/** Decides one request (one action on one resource) the way AWS's enforcement code does. */
export function authorize(request: AuthorizationRequest, policies: ApplicablePolicies): Decision {
  const context = contextMap(request.context);
  const identity = (policies.identity ?? []).map((d) => verdict(compilePolicy(d), request, context, false));
  const resource =
    policies.resource === undefined
      ? 'none'
      : verdict(compilePolicy(policies.resource), request, context, true);
  if (identity.includes('deny')) return { effect: 'Deny', explicit: true, policy: 'identity' };
  if (resource === 'deny') return { effect: 'Deny', explicit: true, policy: 'resource' };
  const { caller } = request;
  if (caller.kind === 'service') {
    return resource === 'allow'
      ? { effect: 'Allow' }
      : { effect: 'Deny', explicit: false, missing: 'resource' };
  }
  if (caller.kind === 'root' && caller.accountId === policies.resourceAccount) return { effect: 'Allow' };
  const identityAllows = identity.includes('allow');
  if (caller.accountId !== policies.resourceAccount) {
    // Cross-account: the caller's own account must allow it, and the resource must trust the caller.
    if (!identityAllows && caller.kind !== 'root')
      return { effect: 'Deny', explicit: false, missing: 'identity' };
    return resource === 'none'
      ? { effect: 'Deny', explicit: false, missing: 'resource' }
      : { effect: 'Allow' };
  }
  // Same account: either side allows. A resource policy naming only the account delegates to IAM.
  if (identityAllows || resource === 'allow') return { effect: 'Allow' };
  return { effect: 'Deny', explicit: false, missing: 'identity' };
}
