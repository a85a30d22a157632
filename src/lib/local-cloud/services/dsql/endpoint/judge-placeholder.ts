// PLACEHOLDER until the "statements" half (sql-rules.ts) is merged: its `judge` classifies every
// statement with the real PostgreSQL parser. This one forwards everything unjudged, so nothing is
// refused and no statement counts as DDL or DML. Delete this file at merge and import
// `judge`/`Verdict` from the statements half instead (contract: dsql-endpoint-contract.md).
export type Verdict =
  | {
      action: 'forward';
      sql: string;
      ddl: boolean;
      dml: boolean;
      transaction?: 'begin' | 'commit' | 'rollback';
      outsideTransactionOnly?: boolean;
    }
  | { action: 'refuse'; sqlstate: string; message: string };

export async function judge(sql: string): Promise<Verdict[]> {
  return [{ action: 'forward', sql, ddl: false, dml: false }];
}
