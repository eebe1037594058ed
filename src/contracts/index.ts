export {
  artifactsDir,
  type ContractArtifact,
  ensureContractsBuilt,
  loadArtifact,
  loadPushArtifacts,
  type PushContractName,
} from './artifacts.js';
