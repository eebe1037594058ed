/**
 * `recipient` of `POST /v1/payloads` is not signed, and a comma list is kept as sent (a legacy subset names its
 * recipients there): it reached the notification row unparsed. On Postgres, which cannot store U+0000, one such request
 * failed the group-commit transaction, and with it every other request admitted in the same batch (500 for all). It is
 * refused at the door, like the other unparsed strings (identity, origin).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushNode } from '../../src/node.js';
import { addr, CORE_CHAIN_ID, sdkSend, seedChannel } from '../admission/support.js';
import { startTestNode } from '../node/support.js';
import { freshSchemaName, TEST_DATABASE_URL } from '../support/store-backends.js';
import { testTempDirs } from '../support/temp-dir.js';

const OWNER = 1;
const NO_LIMITS = { admission: { perIp: null, perChannel: null } };
const tempDirs = testTempDirs('push-node-recipient-nul-');

describe.each(['sqlite', 'postgres'] as const)(
  'a payload whose recipient carries a NUL, on %s',
  (backend) => {
    let node: PushNode;
    const schema = freshSchemaName();

    beforeAll(async () => {
      node =
        backend === 'sqlite'
          ? await startTestNode(tempDirs.make(), {}, NO_LIMITS)
          : await startTestNode(tempDirs.make(), { PUSH_NODE_DATABASE_URL: TEST_DATABASE_URL }, NO_LIMITS, {
              databaseSchema: schema,
            });
      await seedChannel(node.store.db, OWNER);
    });

    afterAll(async () => {
      await node?.stop();
      if (backend === 'postgres') {
        const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => client.end());
      }
      tempDirs.removeAll();
    });

    it('is refused with 400 and does not fail the honest request sent beside it', async () => {
      const sender = `eip155:${CORE_CHAIN_ID}:${addr(OWNER)}`;
      const bad = await sdkSend(OWNER, CORE_CHAIN_ID, addr(OWNER), { title: 'bad' });
      const honest = await sdkSend(OWNER, CORE_CHAIN_ID, addr(OWNER), { title: 'honest' });
      const post = (payload: Record<string, string>) =>
        node.app.inject({ method: 'POST', url: '/apis/v1/payloads', payload });
      const [b, h] = await Promise.all([post({ ...bad, recipient: `${sender},\u0000` }), post(honest)]);
      expect(
        { status: b.statusCode, code: b.json().error?.code, field: b.json().error?.field },
        b.body,
      ).toEqual({
        status: 400,
        code: 'PUSH_ERR_VALIDATION',
        field: 'body.recipient',
      });
      expect(h.statusCode, h.body).toBe(204);
      const rows = await node.store.db.selectFrom('notifications').select('recipient').execute();
      expect(rows.map((r) => r.recipient)).toEqual([sender]);
    });
  },
);
