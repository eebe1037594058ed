import type { NodeConfig } from '../../config/config.js';
import type { Store } from '../../store/index.js';

/** What the read routes need: the store and a few config values. */
export interface ReadRouteDeps {
  store: Pick<Store, 'db'>;
  config: Pick<NodeConfig, 'coreChainId' | 'publicUrl'> & { api: Pick<NodeConfig['api'], 'maxPageSize'> };
}
