/**
 * The shape of a JSON document: every object's keys (sorted) with the shape of each value, an array
 * as the merged shape of its elements, a primitive as its type. Values never enter it, so two runs of
 * a command give the same shape.
 */
export type Shape = string | { [key: string]: Shape } | [Shape];

export function shapeOf(value: unknown): Shape {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    if (value.length === 0) return 'array';
    return [value.map(shapeOf).reduce(mergeShapes)];
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return Object.fromEntries(entries.map(([k, v]) => [k, shapeOf(v)]));
  }
  return typeof value;
}

/** Elements of one array differ only in optional keys: their union. */
function mergeShapes(a: Shape, b: Shape): Shape {
  if (typeof a === 'object' && !Array.isArray(a) && typeof b === 'object' && !Array.isArray(b)) {
    const merged: { [key: string]: Shape } = { ...a };
    for (const [k, v] of Object.entries(b)) merged[k] = k in merged ? mergeShapes(merged[k] as Shape, v) : v;
    return Object.fromEntries(Object.entries(merged).sort(([x], [y]) => x.localeCompare(y)));
  }
  return a;
}
