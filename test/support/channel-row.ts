import type { ChannelsTable } from '../../src/store/schema.js';

/**
 * A `channels` row for tests and benches: an active channel on the core chain 11155111 whose metadata is resolved
 * and that has no name, links or settings; `fields` set what a test cares about.
 */
export function testChannelRow(channel: string, fields: Partial<ChannelsTable> = {}): ChannelsTable {
  return {
    channel,
    core_chain_id: 11155111,
    channel_type: 2,
    identity: '1+x',
    ipfs_hash: null,
    name: null,
    info: null,
    url: null,
    icon: null,
    tags: null,
    state: 1,
    verified_by: null,
    settings_raw: null,
    settings_description: null,
    subgraph: null,
    metadata_status: 'ok',
    metadata_attempts: 0,
    metadata_next_at: 0,
    created_block: 1,
    created_at: 0,
    updated_at: 0,
    ...fields,
  };
}
