export {
  artifactsDir,
  type ContractArtifact,
  ensureContractsBuilt,
  loadArtifact,
  loadPushArtifacts,
  type PushContractName,
  packageRoot,
} from './artifacts.js';
