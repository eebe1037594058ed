import { toEventSelector } from 'viem';
import { describe, expect, it } from 'vitest';
import { ALL_EVENTS, COMM_EVENTS, CORE_EVENTS, EVENTS_BY_TOPIC0, indexedTopics } from './abi.js';

describe('event ABIs', () => {
  it('every topic0 is the keccak of its canonical signature (contracts.md values)', () => {
    for (const e of ALL_EVENTS) expect(toEventSelector(e.signature), e.signature).toBe(e.topic0);
  });

  it('topic0s are unique across both contracts', () => {
    expect(EVENTS_BY_TOPIC0.size).toBe(ALL_EVENTS.length);
  });

  it('has both UpdateChannel layouts under one name', () => {
    const layouts = CORE_EVENTS.filter((e) => e.name === 'UpdateChannel').map((e) => e.signature);
    expect(layouts).toEqual(['UpdateChannel(address,bytes)', 'UpdateChannel(address,bytes,uint256)']);
  });

  it('covers the events the original node listened to, spelled as deployed', () => {
    const core = CORE_EVENTS.map((e) => e.name);
    const comm = COMM_EVENTS.map((e) => e.name);
    for (const n of [
      'AddChannel',
      'UpdateChannel',
      'DeactivateChannel',
      'ReactivateChannel',
      'ChannelBlocked',
      'ChannelVerified',
      'ChannelVerificationRevoked',
      'TimeBoundChannelDestroyed',
      'ChannelNotifcationSettingsAdded',
      'AddSubGraph',
    ]) {
      expect(core).toContain(n);
    }
    for (const n of [
      'Subscribe',
      'Unsubscribe',
      'SendNotification',
      'ChannelAlias',
      'RemoveChannelAlias',
      'AddDelegate',
      'RemoveDelegate',
      'UserNotifcationSettingsAdded',
    ]) {
      expect(comm).toContain(n);
    }
  });

  it('asks the RPC for everything but the staking events', () => {
    const topics = indexedTopics();
    const names = ALL_EVENTS.filter((e) => topics.includes(e.topic0)).map((e) => e.name);
    expect(names).not.toContain('Staked');
    expect(names).not.toContain('RewardsHarvested');
    expect(topics).toHaveLength(ALL_EVENTS.length - 4);
  });
});
