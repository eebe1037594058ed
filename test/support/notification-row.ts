import type { NotificationsTable } from '../../src/store/schema.js';

export type TestNotificationRow = Omit<NotificationsTable, 'id'> & { id: number };

/**
 * A `notifications` row for tests and benches: an admitted, visible notification of `channel` on the core chain
 * 11155111 (input key `k<id>`, type 1 unless `type` says otherwise) whose payload's title and `data.asub` are
 * `n<id>`; the other fields set what a test cares about (`payload: null` for one without content).
 */
export function testNotificationRow(
  fields: Pick<TestNotificationRow, 'id' | 'channel' | 'ts'> & Partial<TestNotificationRow>,
): TestNotificationRow {
  const type = fields.type ?? 1;
  return {
    input_key: `k${fields.id}`,
    sender: `eip155:11155111:${fields.channel}`,
    delegate: null,
    chain_id: 11155111,
    source: 'ETH_TEST_SEPOLIA',
    type,
    identity: '2+{}',
    recipient: null,
    payload: JSON.stringify({
      data: { type, asub: `n${fields.id}` },
      notification: { title: `n${fields.id}`, body: '' },
    }),
    recipients: null,
    hidden: 0,
    etime: null,
    status: 'admitted',
    created_at: 0,
    idx: null,
    content_attempts: 0,
    content_next_at: 0,
    content_error: null,
    ...fields,
  };
}
