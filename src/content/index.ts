export {
  CHANNEL_METADATA_LIMITS,
  type ChannelAliasRef,
  type DataUriMime,
  type DecodedDataUri,
  decodeDataUri,
  type ParsedChannelMetadata,
  parseChannelMetadata,
} from './channel-metadata.js';
export {
  type CidCodec,
  type CidFailure,
  type CidHash,
  type CidInfo,
  type CidVerification,
  checkCidBytes,
  DEFAULT_CHUNK_BYTES,
  inspectCid,
  rawCidOf,
  unixfsFileCidOf,
  verifyCidBytes,
} from './cid.js';
export {
  createIpfsClient,
  type GatewayAttempt,
  type GatewayOutcome,
  type IpfsClient,
  type IpfsClientOptions,
  type IpfsFetchOptions,
} from './ipfs.js';
export { type BackoffPolicy, backoffDelay, nextAttemptAt } from './retry.js';
export {
  createSubgraphClient,
  type SubgraphClient,
  type SubgraphClientOptions,
  type SubgraphNotification,
  type SubgraphQueryOptions,
} from './subgraph.js';
