/**
 * The Resource Groups Tagging API's `GetResources` (awsJson1_1, X-Amz-Target
 * `ResourceGroupsTaggingAPI_20170126.GetResources`, signing name `tagging`, as in the model of
 * @aws-sdk/client-resource-groups-tagging-api): every tagged resource of the other services in the
 * caller's region, filtered by tags and resource types, paginated.
 */
import { ServiceError } from '../../aws.js';
import { awsJsonService, type JsonInput } from '../../protocols/aws-json.js';
import type { Cloud, LocalService, TaggedResource } from '../../service.js';
import { taggingConstraints } from './constraints.js';

/** AWS's bounds: 1–100 resources per page (default 100), at most 50 tag filters, 100 type filters. */
const MAX_PER_PAGE = 100;
const MAX_TAG_FILTERS = 50;
const MAX_TYPE_FILTERS = 100;

const invalid = (message: string) => new ServiceError('InvalidParameterException', message);

interface TagFilter {
  key: string;
  /** Any of these values; empty: the key with any value. */
  values: string[];
}

function tagFiltersOf(input: JsonInput): TagFilter[] {
  const list = input.TagFilters ?? [];
  if (!Array.isArray(list)) throw invalid('TagFilters must be a list.');
  if (list.length > MAX_TAG_FILTERS) throw invalid(`At most ${MAX_TAG_FILTERS} TagFilters are allowed.`);
  return list.map((f: { Key?: unknown; Values?: unknown }) => {
    if (typeof f?.Key !== 'string' || f.Key.length === 0) throw invalid('Each TagFilter needs a Key.');
    const values = f.Values ?? [];
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
      throw invalid('TagFilter Values must be a list of strings.');
    }
    return { key: f.Key, values: values as string[] };
  });
}

function typeFiltersOf(input: JsonInput): string[] {
  const list = input.ResourceTypeFilters ?? [];
  if (
    !Array.isArray(list) ||
    list.some((t) => typeof t !== 'string' || !/^[a-z0-9-]+(:[a-z0-9-]+)?$/.test(t))
  ) {
    throw invalid('ResourceTypeFilters must be strings of the form service[:resourceType].');
  }
  if (list.length > MAX_TYPE_FILTERS)
    throw invalid(`At most ${MAX_TYPE_FILTERS} ResourceTypeFilters are allowed.`);
  return list as string[];
}

function perPageOf(input: JsonInput): number {
  const value = input.ResourcesPerPage ?? MAX_PER_PAGE;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_PER_PAGE) {
    throw invalid(`ResourcesPerPage must be between 1 and ${MAX_PER_PAGE}.`);
  }
  return value as number;
}

/** `service` matches every type of the service; `service:type` that type only. */
const typeMatches = (resourceType: string, filter: string) =>
  filter.includes(':') ? resourceType === filter : resourceType.startsWith(`${filter}:`);

/** Filters are ANDed across keys, ORed across one key's values. Untagged resources are never listed. */
function matches(resource: TaggedResource, tags: TagFilter[], types: string[]): boolean {
  if (Object.keys(resource.tags).length === 0) return false;
  if (types.length > 0 && !types.some((t) => typeMatches(resource.resourceType, t))) return false;
  return tags.every((f) => {
    const value = resource.tags[f.key];
    return value !== undefined && (f.values.length === 0 || f.values.includes(value));
  });
}

/** The token is the offset into the ARN-sorted list; opaque to callers, as AWS's is. */
const encodeToken = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64url');

function decodeToken(value: unknown): number {
  if (value === undefined || value === '') return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(String(value), 'base64url').toString()) as { offset: unknown };
    if (Number.isInteger(offset) && (offset as number) >= 0) return offset as number;
  } catch {}
  throw invalid('The PaginationToken is not valid.');
}

/** `sources`: the services whose tagged resources this API lists (every other service of the instance). */
export function createTaggingService(sources: () => readonly LocalService[]): LocalService {
  const resourcesIn = (cloud: Cloud, region: string) =>
    sources()
      .flatMap((s) => s.taggedResources?.(cloud) ?? [])
      .filter((r) => r.region === region)
      .sort((a, b) => a.arn.localeCompare(b.arn));
  return awsJsonService({
    model: async () => ({
      schemas: await import('@aws-sdk/client-resource-groups-tagging-api'),
      constraints: taggingConstraints,
    }),
    signingName: 'tagging',
    version: '1.1',
    targetPrefix: 'ResourceGroupsTaggingAPI_20170126',
    throttling: { code: 'ThrottledException', status: 400 },
    validationError: 'InvalidParameterException',
    operations: {
      GetResources(input, ctx) {
        const tags = tagFiltersOf(input);
        const types = typeFiltersOf(input);
        const perPage = perPageOf(input);
        const offset = decodeToken(input.PaginationToken);
        const found = resourcesIn(ctx.cloud, ctx.region).filter((r) => matches(r, tags, types));
        const page = found.slice(offset, offset + perPage);
        const next = offset + perPage < found.length ? encodeToken(offset + perPage) : '';
        return {
          // AWS answers an empty string, not null, on the last page.
          PaginationToken: next,
          ResourceTagMappingList: page.map((r) => ({
            ResourceARN: r.arn,
            Tags: Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value })),
          })),
        };
      },
    },
  });
}
