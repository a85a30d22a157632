// Pure decisions of the function's building blocks: amount parsing, the conflict-retry loop, the
// IAM token each new connection gets, and the cold-start configuration.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readFunctionConfig } from '../../lambda-bundle/src/config.js';
import { parseAmount } from '../../src/lib/amount.js';
import {
  authTokenProvider,
  CONNECTION_MAX_LIFETIME_SECONDS,
  isConcurrencyConflict,
  poolConfig,
  withConflictRetry,
} from '../../src/lib/dsql-connection.js';

describe('parseAmount', () => {
  const good: Array<[unknown, string]> = [
    [100.5, '100.50'],
    ['100.50', '100.50'],
    ['100.5', '100.50'],
    [1, '1.00'],
    ['007.10', '7.10'],
    ['  12.30 ', '12.30'],
    ['1.500', '1.50'],
    [0.01, '0.01'],
    ['0.01', '0.01'],
    [99999999.99, '99999999.99'],
    ['99999999.99', '99999999.99'],
    [0.3, '0.30'],
    [1.1, '1.10'],
  ];
  for (const [input, value] of good) {
    test(`${JSON.stringify(input)} → ${value}`, () =>
      assert.deepEqual(parseAmount(input), { ok: true, value }));
  }
  const bad: Array<[unknown, RegExp]> = [
    [0.1 + 0.2, /two decimal places/],
    [1e-7, /two decimal places/],
    [1e21, /at most 99999999\.99/],
    [100000000, /at most/],
    ['99999999.991', /two decimal places/],
    [Number.NaN, /finite/],
    [Number.POSITIVE_INFINITY, /finite/],
    ['inf', /finite/],
    ['0.00', /greater than 0/],
    ['-1', /greater than 0/],
    ['', /empty/],
    ['1,5', /not a decimal number/],
    ['.5', /not a decimal number/],
    ['0x10', /not a decimal number/],
    [{}, /number or a decimal string/],
    [[1], /number or a decimal string/],
    [undefined, /required/],
    [null, /required/],
  ];
  for (const [input, message] of bad) {
    test(`${String(input)} is refused`, () => {
      const result = parseAmount(input);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.message, message);
    });
  }
});

describe('withConflictRetry', () => {
  const conflict = () => Object.assign(new Error('could not serialize access'), { code: '40001' });
  const fast = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 };

  test('retries conflicts and reports the attempts', async () => {
    let calls = 0;
    const out = await withConflictRetry(async () => {
      calls++;
      if (calls < 3) throw conflict();
      return 'done';
    }, fast);
    assert.deepEqual(out, { result: 'done', attempts: 3 });
  });

  test('is bounded: the last conflict is thrown after maxAttempts', async () => {
    let calls = 0;
    await assert.rejects(
      withConflictRetry(async () => {
        calls++;
        throw conflict();
      }, fast),
      /could not serialize/,
    );
    assert.equal(calls, 4);
  });

  test('never retries other failures', async () => {
    let calls = 0;
    await assert.rejects(
      withConflictRetry(async () => {
        calls++;
        throw Object.assign(new Error('duplicate key'), { code: '23505' });
      }, fast),
    );
    assert.equal(calls, 1);
  });

  test('recognises DSQL’s OC000 and OC001', () => {
    assert.ok(
      isConcurrencyConflict({
        code: '40001',
        message: 'change conflicts with another transaction, please retry: (OC000)',
      }),
    );
    assert.ok(
      isConcurrencyConflict({
        code: 'XX000',
        message: 'schema has been updated by another transaction (OC001)',
      }),
    );
    assert.ok(isConcurrencyConflict({ code: 'OC000' }));
    assert.ok(!isConcurrencyConflict({ code: '23505', message: 'duplicate key' }));
    assert.ok(!isConcurrencyConflict(new Error('OC0001 is not a code')));
  });
});

describe('connection settings', () => {
  const settings = {
    host: 'abc.dsql.us-east-1.on.aws',
    port: 5432,
    database: 'postgres',
    region: 'us-east-1',
  };
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

  test('admin gets a DbConnectAdmin token, any other role a DbConnect token, fresh per call', async () => {
    const admin = await authTokenProvider(settings, 'admin', credentials)();
    assert.match(admin, /^abc\.dsql\.us-east-1\.on\.aws\/?\?Action=DbConnectAdmin&/);
    const app = authTokenProvider(settings, 'shop_app', credentials);
    const token = await app();
    assert.match(token, /Action=DbConnect&/);
    assert.match(token, /X-Amz-Credential=AKIDEXAMPLE%2F\d{8}%2Fus-east-1%2Fdsql%2Faws4_request/);
    assert.match(token, /X-Amz-Signature=[0-9a-f]{64}/);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.notEqual(await app(), token, 'a new token is minted for the next connection');
  });

  test('the pool verifies TLS, retires connections before an hour, and mints a password per connect', () => {
    const config = poolConfig(settings, 'shop_app', { credentials });
    assert.deepEqual(config.ssl, { rejectUnauthorized: true, servername: settings.host });
    assert.equal(config.maxLifetimeSeconds, CONNECTION_MAX_LIFETIME_SECONDS);
    assert.ok(CONNECTION_MAX_LIFETIME_SECONDS < 3600);
    assert.equal(typeof config.password, 'function');
    const local = poolConfig(
      { ...settings, hostaddr: '127.0.0.1', caFile: fileURLToPath(import.meta.url) },
      'shop_app',
    );
    assert.equal(local.host, '127.0.0.1', 'connects to hostaddr');
    assert.deepEqual(local.ssl, {
      rejectUnauthorized: true,
      servername: settings.host,
      ca: readFileSync(fileURLToPath(import.meta.url), 'utf8'),
    });
  });
});

describe('readFunctionConfig', () => {
  const env = {
    AWS_REGION: 'us-west-2',
    DSQL_ENDPOINT: 'abc.dsql.us-west-2.on.aws',
    DSQL_USER: 'shop_app',
    EVENT_BUS_NAME: 'shop',
  };

  test('DSQL defaults: port 5432, database postgres, TLS on', () => {
    assert.deepEqual(readFunctionConfig(env), {
      region: 'us-west-2',
      user: 'shop_app',
      busName: 'shop',
      peerRegion: undefined,
      connection: {
        host: env.DSQL_ENDPOINT,
        port: 5432,
        database: 'postgres',
        region: 'us-west-2',
      },
    });
  });

  test('the local cloud’s values', () => {
    const config = readFunctionConfig({ ...env, DSQL_PORT: '54321', DSQL_DATABASE: 'c1' });
    assert.deepEqual(config.connection, {
      host: env.DSQL_ENDPOINT,
      port: 54321,
      database: 'c1',
      region: 'us-west-2',
    });
  });

  test('PEER_REGION: optional, and when set a region other than this one', () => {
    assert.equal(readFunctionConfig({ ...env, PEER_REGION: 'us-east-1' }).peerRegion, 'us-east-1');
    assert.throws(
      () => readFunctionConfig({ ...env, PEER_REGION: 'us-west-2' }),
      /must name the other region/,
    );
    assert.throws(() => readFunctionConfig({ ...env, PEER_REGION: 'nowhere' }), /must be a region name/);
  });

  test('every problem is named at once', () => {
    assert.throws(
      () => readFunctionConfig({ DSQL_PORT: '70000' }),
      (error: Error) =>
        ['AWS_REGION', 'DSQL_ENDPOINT', 'DSQL_USER', 'EVENT_BUS_NAME', 'DSQL_PORT'].every((name) =>
          error.message.includes(name),
        ),
    );
  });
});
