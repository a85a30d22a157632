/** Small helpers every resource module shares: foreign-resource messages, policy-document comparison, the update-or-noop decision. */
import { OwnershipError } from '../errors.js';
import { STACK_TAG } from '../stack.js';
import type { Action, ResourceRef } from './types.js';

/** Why a same-named resource is not ours, for the `foreign` observation. */
export function foreignDetail(what: string, stack: string, tags: Record<string, string | undefined>): string {
  const owner = tags[STACK_TAG];
  return owner
    ? `${what} exists but belongs to stack "${owner}" (${STACK_TAG}=${owner})`
    : `${what} exists but is not tagged ${STACK_TAG}=${stack}`;
}

export function ownershipError(ref: ResourceRef, detail: string, stack: string): OwnershipError {
  return new OwnershipError(`${detail}: dsqlctl never modifies or deletes a resource it does not own.`, {
    advice: `Choose another --stack name than "${stack}", or remove or rename the existing ${ref.kind} ${ref.name}${ref.region === 'global' ? '' : ` in ${ref.region}`} yourself.`,
  });
}

/** A present resource's plan: update, giving every difference as the reason, or nothing to do. */
export function updateOrNoop(differences: string[]): { action: Action; reason: string } {
  return differences.length > 0
    ? { action: 'update', reason: differences.join('; ') }
    : { action: 'noop', reason: 'up to date' };
}

/** Tags that are desired but missing or different. */
export function missingTags(
  actual: Record<string, string | undefined>,
  desired: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(desired).filter(([k, v]) => actual[k] !== v));
}

/**
 * JSON with sorted keys, sorted arrays, and one-element arrays collapsed: two policy documents or event
 * patterns that mean the same compare equal whatever order or shape AWS hands them back in.
 */
export function canonicalJson(value: unknown): string {
  const normalize = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      const items = v.map(normalize);
      if (items.length === 1) return items[0];
      return items.map((i) => JSON.stringify(i)).sort();
    }
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, normalize((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(normalize(value));
}

/** A policy document as IAM returns it: URL-encoded JSON (or plain JSON). */
export function parsePolicyDocument(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return JSON.parse(decodeURIComponent(text));
  }
}

export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
