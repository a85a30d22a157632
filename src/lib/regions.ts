/**
 * Aurora DSQL region sets, as of 2026-11 (AWS adds regions: update this table, and only this one).
 * A multi-region cluster pair and its witness must all lie in one set; cross-set peering is refused.
 */
export const DSQL_REGION_SETS: Readonly<Record<string, readonly string[]>> = {
  Americas: ['us-east-1', 'us-east-2', 'us-west-2', 'ca-central-1', 'ca-west-1'],
  Europe: ['eu-central-1', 'eu-north-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3'],
  'Asia Pacific': ['ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-southeast-1'],
};

/** The name of the set a region belongs to, or undefined when DSQL is not offered there. */
export function regionSetOf(region: string): string | undefined {
  return Object.keys(DSQL_REGION_SETS).find((set) => DSQL_REGION_SETS[set]?.includes(region));
}

export function isDsqlRegion(region: string): boolean {
  return regionSetOf(region) !== undefined;
}

/** Regions that may witness a pair in `regions`: same set, not one of the pair. */
export function validWitnesses(regions: readonly string[]): string[] {
  const set = regionSetOf(regions[0] ?? '');
  if (!set) return [];
  return (DSQL_REGION_SETS[set] ?? []).filter((r) => !regions.includes(r));
}

/** IAM is global: its API is signed in us-east-1 (the partition's home region); STS is asked there too. */
export const IAM_REGION = 'us-east-1';
