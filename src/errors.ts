/**
 * Every error that crosses a boundary (HTTP, CLI, chain adapter, store) is a PushError with one of these codes.
 * Codes are stable: clients and operators match on them. Add new codes; never rename or reuse one.
 */
export const ERROR_CODES = {
  // configuration and start-up
  PUSH_ERR_CONFIG_INVALID: { status: 500, message: 'The configuration is invalid' },
  PUSH_ERR_CONFIG_FILE: { status: 500, message: 'The configuration file cannot be read' },
  PUSH_ERR_DATA_DIR: { status: 500, message: 'The data directory is not usable' },
  PUSH_ERR_PORT_IN_USE: { status: 500, message: 'The HTTP port is already in use' },
  PUSH_ERR_DB_UNREACHABLE: { status: 503, message: 'The database cannot be reached' },
  PUSH_ERR_DB_MIGRATION: { status: 500, message: 'The database migration failed' },
  PUSH_ERR_NODE_UNREACHABLE: { status: 503, message: 'The node cannot be reached' },

  // HTTP surface
  PUSH_ERR_NOT_FOUND: { status: 404, message: 'Not found' },
  PUSH_ERR_VALIDATION: { status: 400, message: 'The request is malformed' },
  PUSH_ERR_BODY_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  PUSH_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests' },
  PUSH_ERR_UNSUPPORTED: { status: 501, message: 'This operation is not supported by this node' },
  PUSH_ERR_INTERNAL: { status: 500, message: 'Internal error' },
  PUSH_ERR_SHUTTING_DOWN: { status: 503, message: 'The node is shutting down' },

  // protocol formats (pure parsers)
  PUSH_ERR_INVALID_CAIP: { status: 400, message: 'The address is not a valid CAIP-10 or 0x address' },
  PUSH_ERR_INVALID_PROOF: { status: 400, message: 'The verificationProof is malformed' },
  PUSH_ERR_UNSUPPORTED_PROOF: { status: 400, message: 'This verificationProof type is not supported' },
  PUSH_ERR_INVALID_IDENTITY: { status: 400, message: 'The identity is malformed' },
  PUSH_ERR_UNSUPPORTED_IDENTITY: { status: 400, message: 'This identity storage type is not supported' },
  PUSH_ERR_INVALID_PAYLOAD: { status: 400, message: 'The notification payload is invalid' },
  PUSH_ERR_INVALID_NOTIFICATION_TYPE: { status: 400, message: 'The notification type must be 1, 3 or 4' },
  PUSH_ERR_INVALID_SETTINGS: { status: 400, message: 'The channel settings string is invalid' },
  PUSH_ERR_INVALID_USER_SETTINGS: { status: 400, message: 'The user settings string is invalid' },
  PUSH_ERR_INVALID_INDEX: { status: 400, message: 'The notification index (data.index) is invalid' },
  PUSH_ERR_INVALID_SOURCE: { status: 400, message: 'The source is not a supported chain' },
  PUSH_ERR_INVALID_SUBSCRIPTION_MESSAGE: { status: 400, message: 'The subscription message is invalid' },

  // admission
  PUSH_ERR_SIGNATURE_INVALID: { status: 403, message: 'The signature does not verify' },
  PUSH_ERR_SIGNER_NOT_AUTHORIZED: { status: 403, message: 'The signer may not act for this channel' },
  PUSH_ERR_CHANNEL_NOT_FOUND: { status: 404, message: 'Channel not found' },
  PUSH_ERR_CURSOR_NOT_FOUND: { status: 404, message: 'The item the page continues from does not exist' },
  PUSH_ERR_CHANNEL_INACTIVE: { status: 403, message: 'The channel is deactivated' },
  PUSH_ERR_CHANNEL_BLOCKED: { status: 403, message: 'The channel is blocked' },
  PUSH_ERR_ALIAS_NOT_VERIFIED: { status: 403, message: 'The alias is not verified for this channel' },
  PUSH_ERR_CHAIN_NOT_SUPPORTED: { status: 400, message: 'The chain is not configured on this node' },
  PUSH_ERR_SOURCE_MISMATCH: { status: 400, message: 'The proof chain does not match the source chain' },
  PUSH_ERR_TX_PROOF_INVALID: { status: 403, message: 'The transaction does not prove this notification' },
  PUSH_ERR_TOO_MANY_RECIPIENTS: { status: 400, message: 'Too many recipients' },
  PUSH_ERR_RECIPIENT_MISMATCH: {
    status: 400,
    message: 'The recipient is not the one the signed content names',
  },
  PUSH_ERR_CID_MISMATCH: { status: 400, message: 'The content does not hash to its CID' },
  PUSH_ERR_IPFS_UNAVAILABLE: { status: 503, message: 'The IPFS content is not available yet' },

  // chains
  PUSH_ERR_RPC_UNAVAILABLE: { status: 503, message: 'No RPC endpoint of the chain answered' },
  PUSH_ERR_REDIS_UNAVAILABLE: { status: 503, message: 'Redis did not answer' },
  PUSH_ERR_RPC_RATE_LIMITED: { status: 429, message: 'The RPC endpoint is rate limiting' },
  PUSH_ERR_RPC_RANGE_TOO_LARGE: {
    status: 400,
    message: 'The eth_getLogs range is too large for the provider',
  },
  PUSH_ERR_RPC_TIMEOUT: { status: 504, message: 'The RPC request timed out' },
  PUSH_ERR_CHAIN_ID_MISMATCH: { status: 500, message: 'The RPC endpoint serves another chain' },
  PUSH_ERR_REORG_TOO_DEEP: { status: 500, message: 'A reorg is deeper than the unfinalised window' },
  PUSH_ERR_RPC_ERROR: { status: 502, message: 'The RPC endpoint answered with an error' },

  // devnet and contracts
  PUSH_ERR_CONTRACT_BUILD: { status: 500, message: 'The contracts could not be compiled' },
  PUSH_ERR_DEVNET_START: { status: 500, message: 'The devnet could not be started' },

  // content resolution (IPFS, subgraphs)
  PUSH_ERR_INVALID_CID: { status: 400, message: 'The CID is malformed or of a kind this node cannot verify' },
  PUSH_ERR_CONTENT_TOO_LARGE: { status: 400, message: 'The content is larger than this node accepts' },
  PUSH_ERR_SUBGRAPH_UNAVAILABLE: { status: 503, message: 'The subgraph cannot be queried' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface PushErrorOptions {
  /** The request field or config key at fault, e.g. `body.identity` or `chains[0].rpc`. */
  field?: string;
  /** What the caller can do about it. */
  hint?: string;
  /** Machine-readable extra facts (never secrets). */
  details?: Record<string, unknown>;
  cause?: unknown;
  /** Overrides the code's HTTP status (e.g. 403 for the SDK's historical subscribe errors). */
  status?: number;
}

export class PushError extends Error {
  override readonly name = 'PushError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly field: string | undefined;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, options: PushErrorOptions = {}) {
    super(
      message ?? ERROR_CODES[code].message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code].status;
    this.field = options.field;
    this.hint = options.hint;
    this.details = options.details;
  }

  /** One line for a terminal: what is wrong and how to fix it. */
  toLine(): string {
    const at = this.field ? ` (${this.field})` : '';
    const hint = this.hint ? ` — ${this.hint}` : '';
    return `${this.code}: ${this.message}${at}${hint}`;
  }

  /** The HTTP body: the original node's `{error:{info}}` shape plus a stable code. */
  toBody(): { error: { info: string; code: ErrorCode; field?: string; hint?: string } } {
    const error: { info: string; code: ErrorCode; field?: string; hint?: string } = {
      info: this.message,
      code: this.code,
    };
    if (this.field) error.field = this.field;
    if (this.hint) error.hint = this.hint;
    return { error };
  }
}

export function pushError(code: ErrorCode, message?: string, options?: PushErrorOptions): PushError {
  return new PushError(code, message, options);
}

export function isPushError(err: unknown, code?: ErrorCode): err is PushError {
  return err instanceof PushError && (code === undefined || err.code === code);
}
