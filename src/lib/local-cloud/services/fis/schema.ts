/**
 * FIS's input shapes in the SDK's static-schema form (`<Operation>$`, as newer `@aws-sdk/client-*`
 * packages export them). The registry's newest @aws-sdk/client-fis is 3.523.0, which predates those
 * schemas, so they are written here from its model (dist-cjs serializers and dist-types: the same
 * members, required members first, path labels and query strings). Encoding: 0 string, 1 number,
 * 15 document, 64|0 list of strings, 128|0 map of strings; member traits 1 httpLabel, 4 idempotencyToken.
 */
const NS = 'com.amazonaws.fis';
const LABEL = 1;
const TOKEN = 4;
const STRINGS = 64 | 0;
const STRING_MAP = 128 | 0;
const query = (name: string) => ({ httpQuery: name });

const struct = (name: string, members: [string, unknown][], required = 0) => [
  3,
  NS,
  name,
  0,
  members.map(([m]) => m),
  members.map(([, s]) => s),
  required,
];
const operation = (name: string, input: unknown) => [
  9,
  NS,
  name,
  0,
  () => input,
  () => struct(`${name}Response`, []),
];
const listOf = (name: string, item: unknown) => [1, NS, name, 0, () => item];
const mapOf = (name: string, value: unknown) => [2, NS, name, 0, 0, () => value];

const stopCondition = struct(
  'CreateExperimentTemplateStopConditionInput',
  [
    ['source', 0],
    ['value', 0],
  ],
  1,
);
const targetFilter = struct(
  'ExperimentTemplateTargetInputFilter',
  [
    ['path', 0],
    ['values', STRINGS],
  ],
  2,
);
const target = struct(
  'CreateExperimentTemplateTargetInput',
  [
    ['resourceType', 0],
    ['selectionMode', 0],
    ['resourceArns', STRINGS],
    ['resourceTags', STRING_MAP],
    ['filters', listOf('ExperimentTemplateTargetFilterInputList', targetFilter)],
    ['parameters', STRING_MAP],
  ],
  2,
);
const action = struct(
  'CreateExperimentTemplateActionInput',
  [
    ['actionId', 0],
    ['description', 0],
    ['parameters', STRING_MAP],
    ['targets', STRING_MAP],
    ['startAfter', STRINGS],
  ],
  1,
);

export const CreateExperimentTemplate$ = operation(
  'CreateExperimentTemplate',
  struct(
    'CreateExperimentTemplateRequest',
    [
      ['clientToken', [0, TOKEN]],
      ['description', 0],
      ['stopConditions', listOf('CreateExperimentTemplateStopConditionInputList', stopCondition)],
      ['actions', mapOf('CreateExperimentTemplateActionInputMap', action)],
      ['roleArn', 0],
      ['targets', mapOf('CreateExperimentTemplateTargetInputMap', target)],
      ['tags', STRING_MAP],
      ['logConfiguration', 15],
      ['experimentOptions', 15],
    ],
    5,
  ),
);
const byId = (name: string) => operation(name, struct(`${name}Request`, [['id', [0, LABEL]]], 1));
export const GetExperimentTemplate$ = byId('GetExperimentTemplate');
export const DeleteExperimentTemplate$ = byId('DeleteExperimentTemplate');
export const GetExperiment$ = byId('GetExperiment');
export const StopExperiment$ = byId('StopExperiment');
export const StartExperiment$ = operation(
  'StartExperiment',
  struct(
    'StartExperimentRequest',
    [
      ['clientToken', [0, TOKEN]],
      ['experimentTemplateId', 0],
      ['tags', STRING_MAP],
    ],
    2,
  ),
);
const page = (name: string, extra: [string, unknown][] = []) =>
  operation(
    name,
    struct(`${name}Request`, [
      ['maxResults', [1, query('maxResults')]],
      ['nextToken', [0, query('nextToken')]],
      ...extra,
    ]),
  );
export const ListExperimentTemplates$ = page('ListExperimentTemplates');
// The current model filters by template (`experimentTemplateId`); 3.523.0 does not send it.
export const ListExperiments$ = page('ListExperiments', [
  ['experimentTemplateId', [0, query('experimentTemplateId')]],
]);
export const TagResource$ = operation(
  'TagResource',
  struct(
    'TagResourceRequest',
    [
      ['resourceArn', [0, LABEL]],
      ['tags', STRING_MAP],
    ],
    2,
  ),
);
export const UntagResource$ = operation(
  'UntagResource',
  struct(
    'UntagResourceRequest',
    [
      ['resourceArn', [0, LABEL]],
      ['tagKeys', [STRINGS, query('tagKeys')]],
    ],
    1,
  ),
);
export const ListTagsForResource$ = operation(
  'ListTagsForResource',
  struct('ListTagsForResourceRequest', [['resourceArn', [0, LABEL]]], 1),
);
