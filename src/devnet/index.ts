export { DEFAULT_DEVNET_MNEMONIC, type DevnetAccount, devnetAccounts } from './accounts.js';
export {
  ALIAS_CHAIN_ID,
  CHAIN_SOURCE_NAMES,
  CORE_CHAIN_ID,
  caip10,
  SDK_LOCAL_COMM_ADDRESSES,
  SDK_LOCAL_CORE_ADDRESS,
} from './addresses.js';
export { type DevChain, type StartChainOptions, startChain } from './chain.js';
export { type ChannelMetadata, iconDataUri, serializeChannelMetadata } from './channel-metadata.js';
export {
  type ContractCall,
  devnetPublicClient,
  devnetTestClient,
  devnetViemChain,
  devnetWalletClient,
  sendContractCall,
} from './clients.js';
export {
  type CreateDevnetChannelOptions,
  createDevnetChannel,
  type DevnetChannel,
} from './create-channel.js';
export { type DeployPushOptions, deployPush, type PushDeployment } from './deploy.js';
export {
  type Devnet,
  type DevnetChainInfo,
  devnetChain,
  type StartDevnetOptions,
  startDevnet,
} from './devnet.js';
export { findFreePort } from './free-port.js';
export {
  cidOf,
  createIpfsGateway,
  createIpfsStore,
  type IpfsAdder,
  type IpfsGateway,
  type IpfsStore,
} from './ipfs-gateway.js';
export {
  type SeedDevnetOptions,
  type SeededChannel,
  type SeededNotification,
  type SeedResult,
  seedDevnet,
} from './seed.js';
