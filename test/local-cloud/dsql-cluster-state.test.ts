// The DSQL cluster state machine without HTTP: transitions due at a time, a witness pair going ACTIVE
// together, a peered pair deleted together, and the database dropped with its last cluster.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ClusterRecord, type DsqlState, nextStatus, settle } from '../../src/lib/local-cloud/testing.js';

const EAST = 'arn:aws:dsql:us-east-1:000000000000:cluster/east';
const WEST = 'arn:aws:dsql:us-east-2:000000000000:cluster/west';

function cluster(arn: string, fields: Partial<ClusterRecord>): ClusterRecord {
  return {
    identifier: arn.split('/')[1] ?? '',
    arn,
    region: arn.split(':')[3] ?? '',
    status: 'CREATING',
    creationTime: 0,
    deletionProtectionEnabled: false,
    tags: {},
    peers: [],
    database: 'db_east',
    ...fields,
  };
}

function stateOf(...clusters: ClusterRecord[]): DsqlState {
  return { clusters: Object.fromEntries(clusters.map((c) => [c.arn, c])), clientTokens: {} };
}

describe('DSQL cluster state machine', () => {
  it('CREATING becomes ACTIVE when its time is up, not before', () => {
    const state = stateOf(cluster(EAST, { until: 100 }));
    const east = state.clusters[EAST] as ClusterRecord;
    assert.equal(nextStatus(state, east, 99), undefined);
    assert.deepEqual(settle(state, 99, 10), []);
    assert.equal(east.status, 'CREATING');
    settle(state, 100, 10);
    assert.equal(east.status, 'ACTIVE');
    assert.equal(east.until, undefined);
  });

  it('a witness cluster waits in PENDING_SETUP until its peer lists it back, then both are ACTIVE', () => {
    const east = cluster(EAST, { until: 10, witnessRegion: 'us-west-2', peers: [WEST] });
    const state = stateOf(east);
    settle(state, 10, 5);
    assert.equal(east.status, 'PENDING_SETUP');
    const west = cluster(WEST, { until: 20, witnessRegion: 'us-west-2', peers: [EAST] });
    state.clusters[WEST] = west;
    settle(state, 15, 5);
    assert.equal(west.status, 'CREATING');
    assert.equal(east.status, 'PENDING_SETUP');
    settle(state, 20, 5);
    assert.deepEqual([east.status, west.status], ['ACTIVE', 'ACTIVE']);
  });

  it('one of a peered pair waits in PENDING_DELETE; both delete once the other is deleted too', () => {
    const east = cluster(EAST, { status: 'PENDING_DELETE', peers: [WEST] });
    const west = cluster(WEST, { status: 'ACTIVE', peers: [EAST] });
    const state = stateOf(east, west);
    assert.deepEqual(settle(state, 0, 5), []);
    assert.equal(east.status, 'PENDING_DELETE');
    west.status = 'PENDING_DELETE';
    settle(state, 1, 5);
    assert.deepEqual([east.status, west.status, east.until, west.until], ['DELETING', 'DELETING', 6, 6]);
    assert.deepEqual(settle(state, 6, 5), ['db_east'], 'the shared database is dropped once, with the last');
    assert.deepEqual(Object.keys(state.clusters), []);
  });

  it('the one that waited in PENDING_DELETE is gone when its peer is, however late it is settled', () => {
    const east = cluster(EAST, { status: 'PENDING_DELETE', peers: [WEST] });
    const west = cluster(WEST, { status: 'DELETING', until: 105, peers: [EAST] });
    const state = stateOf(east, west);
    settle(state, 103, 5);
    assert.deepEqual([east.status, east.until], ['DELETING', 105]);
    settle(state, 105, 5);
    assert.deepEqual(Object.keys(state.clusters), []);
  });

  it('a deleted cluster whose database another cluster still uses drops nothing', () => {
    const state = stateOf(
      cluster(EAST, { status: 'DELETING', until: 1 }),
      cluster(WEST, { status: 'ACTIVE', database: 'db_east' }),
    );
    assert.deepEqual(settle(state, 1, 5), []);
    assert.deepEqual(Object.keys(state.clusters), [WEST]);
  });
});
