/**
 * The longest chain of waits through a plan's dependency graph: what a perfectly parallel apply of it
 * must wait, and which steps that is. A step starts when its dependencies have finished and ends when
 * its last wait does; a wait runs from the step's own start, or (`since`) from a dependency's start:
 * a transition that dependency began without waiting for it (a peered cluster's creation, which only
 * the peering step waits out).
 */

export interface Wait {
  seconds: number;
  /** What is waited for, as the printed chain names it. */
  what: string;
  /** The id of a step (among the dependencies) whose start this wait runs from. */
  since?: string;
}

export interface WeightedStep {
  id: string;
  dependsOn: readonly string[];
  waits: readonly Wait[];
}

/** One link of the chain: a step, and the seconds the chain spends in it. */
export interface Link {
  id: string;
  seconds: number;
  what?: string;
}

export interface CriticalPath {
  seconds: number;
  chain: Link[];
}

interface Timed {
  /** When the step starts (its dependencies done) and ends; `links` is the chain to its end. */
  start: number;
  end: number;
  startLinks: Link[];
  links: Link[];
}

/** Later end first; on a tie the chain with more steps (it shows what really runs one after another). */
const later = (a: { end: number; links: Link[] }, b: { end: number; links: Link[] }) =>
  a.end > b.end + 1e-9 || (Math.abs(a.end - b.end) <= 1e-9 && a.links.length > b.links.length);

export function criticalPath(steps: readonly WeightedStep[]): CriticalPath {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const timed = new Map<string, Timed>();
  const visiting = new Set<string>();
  const time = (id: string): Timed => {
    const known = timed.get(id);
    if (known) return known;
    const step = byId.get(id);
    if (!step) throw new Error(`critical path: unknown step ${id}`);
    if (visiting.has(id)) throw new Error(`critical path: cycle through ${id}`);
    visiting.add(id);
    let first = { end: 0, links: [] as Link[] };
    for (const dep of step.dependsOn) {
      const t = time(dep);
      if (later(t, first)) first = t;
    }
    const start = first.end;
    let last = { end: start, links: [...first.links, { id, seconds: 0 }] };
    for (const wait of step.waits) {
      const from = wait.since === undefined ? { start, startLinks: first.links } : time(wait.since);
      const end = from.start + wait.seconds;
      const links =
        wait.since === undefined
          ? [...from.startLinks, { id, seconds: wait.seconds, what: wait.what }]
          : [
              ...from.startLinks,
              { id: wait.since, seconds: wait.seconds, what: wait.what },
              { id, seconds: 0 },
            ];
      if (later({ end, links }, last)) last = { end, links };
    }
    visiting.delete(id);
    const result = { start, end: last.end, startLinks: first.links, links: last.links };
    timed.set(id, result);
    return result;
  };
  let longest = { end: 0, links: [] as Link[] };
  for (const step of steps) {
    const t = time(step.id);
    if (later(t, longest)) longest = t;
  }
  return { seconds: longest.end, chain: longest.links };
}

/** "lock 2 s → iam-role:fn 2 s (CreateRole) → …": the chain as the bench prints it. */
export function describeChain(chain: readonly Link[]): string {
  return chain
    .map(
      (l) =>
        `${l.id}${l.seconds > 0 ? ` ${Number(l.seconds.toFixed(3))} s${l.what ? ` (${l.what})` : ''}` : ''}`,
    )
    .join(' → ');
}
