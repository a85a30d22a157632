/**
 * The AWS facts the local cloud emulates, kept here on purpose rather than imported from the CLI: the
 * emulator is the CLI's opponent in tests, so a wrong table on either side shows up as a failing test
 * instead of agreeing with itself. Sources: /work/shared/aws-facts.md (Aurora DSQL user guide).
 */

/**
 * Aurora DSQL region sets, as of 2026-11. A multi-region pair and its witness must lie in one set.
 * AWS adds regions: update this table (and the CLI's src/lib/regions.ts, which is checked separately).
 */
export const DSQL_REGION_SETS: Readonly<Record<string, readonly string[]>> = {
  Americas: ['us-east-1', 'us-east-2', 'us-west-2', 'ca-central-1', 'ca-west-1'],
  Europe: ['eu-central-1', 'eu-north-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3'],
  'Asia Pacific': ['ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-southeast-1'],
};

/** The name of the set a region belongs to, or undefined when DSQL is not offered there. */
export function dsqlRegionSetOf(region: string): string | undefined {
  return Object.keys(DSQL_REGION_SETS).find((set) => DSQL_REGION_SETS[set]?.includes(region));
}

/** The database role every DSQL cluster is created with (`admin`, authenticated by an admin token). */
export const DSQL_ADMIN_USER = 'admin';
