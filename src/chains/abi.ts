import type { Hex } from './types.js';

/**
 * The Core and Comm events of contracts.md §2.1/§2.2, with their exact names (typos included), ordered types,
 * indexed flags and topic0s. Events are matched by topic0, never by name: the two UpdateChannel layouts share a name
 * and are both emitted by the same Core proxy over its history (V1/V1.5 then V2).
 */

export type ParamType = 'address' | 'uint256' | 'uint8' | 'bytes' | 'string';

export interface EventParam {
  name: string;
  type: ParamType;
  indexed: boolean;
  /** `bytes` that carry UTF-8 text (identities, subgraph data): decoded to a string, leniently. */
  text?: boolean;
}

export interface EventDef {
  contract: 'core' | 'comm';
  name: string;
  /** canonical signature, e.g. `UpdateChannel(address,bytes,uint256)` */
  signature: string;
  topic0: Hex;
  params: EventParam[];
  /** Declared but not indexed (staking): the indexer does not ask the RPC for it. */
  ignored?: boolean;
}

const a = (name: string, indexed = false): EventParam => ({ name, type: 'address', indexed });
const u = (name: string, indexed = false): EventParam => ({ name, type: 'uint256', indexed });
const u8 = (name: string, indexed = false): EventParam => ({ name, type: 'uint8', indexed });
const text = (name: string): EventParam => ({ name, type: 'bytes', indexed: false, text: true });
const raw = (name: string): EventParam => ({ name, type: 'bytes', indexed: false });
const s = (name: string): EventParam => ({ name, type: 'string', indexed: false });

function def(
  contract: 'core' | 'comm',
  name: string,
  topic0: Hex,
  params: EventParam[],
  ignored = false,
): EventDef {
  const signature = `${name}(${params.map((p) => p.type).join(',')})`;
  return ignored
    ? { contract, name, signature, topic0, params, ignored }
    : { contract, name, signature, topic0, params };
}

export const CORE_EVENTS: readonly EventDef[] = [
  def('core', 'AddChannel', '0x1f97bc77a1686355f130d93883d42f2434474cf65f97b29bc451ea7f9388d36a', [
    a('channel', true),
    u8('channelType', true),
    text('identity'),
  ]),
  // V1 / V1.5 layout
  def('core', 'UpdateChannel', '0xdd0f9713dcb5498a41e3486b288bc746b035efb57770050da0ec0e800154532c', [
    a('channel', true),
    text('identity'),
  ]),
  // V2 / V2.5 layout
  def('core', 'UpdateChannel', '0xd080354cc7cff21b2f3e3190c00a803ac7dce5831b8291ec60b4860392045b7a', [
    a('channel', true),
    text('identity'),
    u('amountDeposited', true),
  ]),
  def('core', 'ChannelVerified', '0x84899820e388057bcb96cb9aa9c946c45de73a45051bb4184391046c4438329a', [
    a('channel', true),
    a('verifier', true),
  ]),
  def(
    'core',
    'ChannelVerificationRevoked',
    '0x9d0e3265e47ea38b22548ea0663e73c8f406d4b04ade46b227c1b766ffbc605e',
    [a('channel', true), a('revoker', true)],
  ),
  def('core', 'DeactivateChannel', '0x2280e0164fd038143a9177af9744ff6b78c8a7b2547be0efaf673d8c2876ca17', [
    a('channel', true),
    u('amountRefunded', true),
  ]),
  def('core', 'ReactivateChannel', '0xbc047405ceee77073c6c9c3fcc50396bd24c9a1e36ad8c3574db1ce6674f0a87', [
    a('channel', true),
    u('amountDeposited', true),
  ]),
  def('core', 'ChannelBlocked', '0xfbbb06adde8edc33cf72be5516c0a7d1eca7103419494556226e58774943c176', [
    a('channel', true),
  ]),
  def(
    'core',
    'ChannelNotifcationSettingsAdded',
    '0x87cfb53b7cc0f446465723d1075eb0d650edc90e4365956fc1419a675c867bba',
    [a('_channel'), u('totalNotifOptions'), s('_notifSettings'), s('_notifDescription')],
  ),
  def('core', 'AddSubGraph', '0x3c6f586adc28bd6371da8f4f7a15d49e8350b80e99cb596d4268805db193cc19', [
    a('channel', true),
    text('_subGraphData'),
  ]),
  def(
    'core',
    'TimeBoundChannelDestroyed',
    '0x994ca324b9d2f7966a11b77f1853c1152783ae967ac925ddb5c42fc5b793f68a',
    [a('channel', true), u('amountRefunded', true)],
  ),
  def(
    'core',
    'ChannelOwnershipTransfer',
    '0x9a1f65a566e0f01b426a67316a06de21e6c47d0e4dc1f807eb1415c15f33d484',
    [a('channel', true), a('newOwner', true)],
  ),
  def(
    'core',
    'RewardsClaimed',
    '0xfc30cddea38e2bf4d6ea7d3f9ed3b6ad7f176419f4963bd81318067a4aee73fe',
    [a('user', true), u('rewardAmount')],
    true,
  ),
  def(
    'core',
    'Staked',
    '0x9e71bc8eea02a63969f509818f2dafb9254532904319f9dbda79b67bd34a5f3d',
    [a('user', true), u('amountStaked', true)],
    true,
  ),
  def(
    'core',
    'Unstaked',
    '0x0f5bb82176feb1b5e747e28471aa92156a04d9f3ab9f45f28e2d704232b93f75',
    [a('user', true), u('amountUnstaked', true)],
    true,
  ),
  def(
    'core',
    'RewardsHarvested',
    '0x57f92f16fa09c9e4bb565a3d9d987c04877f97eb9067730674bb415730aaa652',
    [a('user', true), u('rewardAmount', true), u('fromEpoch'), u('tillEpoch')],
    true,
  ),
  def(
    'core',
    'IncentivizeChatReqReceived',
    '0xe37c9556702a8226b38b7fe7302b45c6cfa7c8c6b55b38636fe8da4cd6203851',
    [a('requestSender'), a('requestReceiver'), u('amountForReqReceiver'), u('feePoolAmount'), u('timestamp')],
  ),
  def('core', 'ChatIncentiveClaimed', '0x2230358eceb5a0a4628b45edd28b2a8cbeb1811be034efa5f1c9af7e3f3efa7e', [
    a('user', true),
    u('amountClaimed', true),
  ]),
  def('core', 'Paused', '0x62e78cea01bee320cd4e420270b5ea74000d11b0c9f74754ebdbfc544b05a258', [a('account')]),
  def('core', 'Unpaused', '0x5db9ee0a495bf2e6ff9c91a7834c1ba4fdd244a5e8aa4e537bd38aeae4b073aa', [
    a('account'),
  ]),
];

export const COMM_EVENTS: readonly EventDef[] = [
  def('comm', 'SendNotification', '0xcc2b84a32bce3d060db75a4c0e59bfef192503be5c83bfa5ad79a41d384ff22c', [
    a('channel', true),
    a('recipient', true),
    text('identity'),
  ]),
  def('comm', 'Subscribe', '0x5ffe3cc8f1055f172e55be8d832143a6cffb4cb3a56a18bf780fd4112d4cecc7', [
    a('channel', true),
    a('user', true),
  ]),
  def('comm', 'Unsubscribe', '0x9d3d878d2fb01c43ad7ec7c20d8f5d0dbac4888df940a4edaab4540ccefdc102', [
    a('channel', true),
    a('user', true),
  ]),
  def('comm', 'AddDelegate', '0x2fd5b26f00131bd8ca0fc556207292b85a6bec241341df82724333227458e630', [
    a('channel'),
    a('delegate'),
  ]),
  def('comm', 'RemoveDelegate', '0xdccc2d936ded24d2153d2760581a7f0dcb23ec71190c9726b3584cdd700214d4', [
    a('channel'),
    a('delegate'),
  ]),
  def(
    'comm',
    'UserNotifcationSettingsAdded',
    '0x790dac2f69fa06ffde2a1ba07cccf57910606213ce442099a2ab6ebe3bedc0ad',
    [a('_channel'), a('_user'), u('_notifID'), s('_notifSettings')],
  ),
  def('comm', 'PublicKeyRegistered', '0xb3ec32f104accdf61583b5b94e7b80414c5dc5845ffc42e00f5f19775a358a0a', [
    a('owner', true),
    raw('publickey'),
  ]),
  def('comm', 'ChannelAlias', '0x6bc2285dcf7383bc0c0f37cc28ca4786636941d3a6d3e09c6d6f46f7efa39268', [
    s('_chainName'),
    u('_chainID', true),
    a('_channelOwnerAddress', true),
    s('_ethereumChannelAddress'),
  ]),
  def(
    'comm',
    'IncentivizeChatReqInitiated',
    '0xed128fa94586dc6952f835aebbb851abae26a553240d766abf93ba2429e22a62',
    [a('requestSender'), a('requestReceiver'), u('amountDeposited'), u('timestamp')],
  ),
  def('comm', 'RemoveChannelAlias', '0x8c4b6a23961dde2a11ffbb433538b4a405f643b57dc134dad9d236d13cbccc86', [
    s('_chainName'),
    u('_chainID', true),
    a('_channelOwnerAddress', true),
    s('_baseChannelAddress'),
  ]),
];

export const ALL_EVENTS: readonly EventDef[] = [...CORE_EVENTS, ...COMM_EVENTS];

/** topic0 → event. Each topic0 is unique across both contracts (asserted in abi.test.ts). */
export const EVENTS_BY_TOPIC0: ReadonlyMap<string, EventDef> = new Map(ALL_EVENTS.map((e) => [e.topic0, e]));

/** The topic0 list one eth_getLogs call asks for (both contracts in one call). */
export function indexedTopics(): Hex[] {
  return ALL_EVENTS.filter((e) => !e.ignored).map((e) => e.topic0);
}

/** The same events as a viem/JSON ABI, for tools that want one (tests decode with it as an independent check). */
export function toJsonAbi(events: readonly EventDef[] = ALL_EVENTS) {
  return events.map((e) => ({
    type: 'event' as const,
    name: e.name,
    anonymous: false,
    inputs: e.params.map((p) => ({ name: p.name, type: p.type, indexed: p.indexed })),
  }));
}
