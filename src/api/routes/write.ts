import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Admission } from '../../ingest/admission/index.js';
import type { SubscriptionRow } from '../../ingest/subscriptions.js';
import { NO_NUL, params } from './schemas.js';

export interface WriteRouteDeps {
  admission: Pick<Admission, 'admitPayload' | 'subscribe' | 'unsubscribe'>;
  /** Called after an opt-in/out changed state (the live socket index listens here). */
  onSubscription?: (change: SubscriptionRow) => void;
}

const str = { type: 'string', minLength: 1 } as const;

const payloadBody = {
  type: 'object',
  required: ['verificationProof', 'sender', 'recipient', 'source', 'identity'],
  properties: {
    verificationProof: {
      ...str,
      maxLength: 8192,
      description: 'eip712v2:0x<sig>::uid::<uuid>, eip155:<chain>:<tx>, …',
    },
    sender: { ...str, maxLength: 256, description: 'full CAIP of the channel or its alias' },
    // Not signed, and a comma list (legacy subset) is stored as sent.
    recipient: {
      ...str,
      maxLength: 256,
      pattern: NO_NUL,
      description: 'the user for targeted; the channel for broadcast and subset',
    },
    source: { ...str, maxLength: 64, description: 'e.g. ETH_TEST_SEPOLIA' },
    // A minimal identity (`0+<type>+<title>+<body>`) is stored as sent.
    identity: { ...str, pattern: NO_NUL, description: '<storageType>+<…>, verified byte for byte' },
    rules: { type: 'object' },
  },
} as const;

const subscriptionBody = {
  type: 'object',
  required: ['verificationProof', 'message'],
  properties: {
    verificationProof: {
      ...str,
      maxLength: 8192,
      description: 'eip712v2:0x<sig> (V2) or a bare 0x<sig> (V1)',
    },
    // A string (V2) or an object (V1): the admission pipeline tells them apart and names what is wrong.
    message: {
      description: 'V2: the signed 4-space JSON string; V1: {channel, subscriber|unsubscriber, action}',
    },
    // Not signed, and stored as sent.
    origin: { type: 'string', maxLength: 256, pattern: NO_NUL },
  },
} as const;

/**
 * The signed doors: `POST /v1/payloads` and `POST /v1/channels/:caip/subscribe|unsubscribe`. Every check lives in
 * the admission pipeline; a route only shapes the request and answers 204.
 */
export function registerWriteRoutes(app: FastifyInstance, deps: WriteRouteDeps): void {
  const noContent = (reply: FastifyReply) => reply.status(204).send();

  app.post<{ Body: Record<string, unknown> }>(
    '/apis/v1/payloads',
    {
      schema: {
        summary: 'Send a notification (signed by the channel, its verified alias or a delegate); 204',
        description:
          'Idempotent by verificationProof: a repeat answers 204 and changes nothing. Refusals carry a PUSH_ERR_* ' +
          'code (403 signature/authorisation, 404 channel, 429 rate limit with Retry-After).',
        tags: ['send'],
        body: payloadBody,
      },
    },
    async (req, reply) => {
      const b = req.body;
      await deps.admission.admitPayload(
        {
          verificationProof: b.verificationProof,
          sender: b.sender,
          recipient: b.recipient,
          source: b.source,
          identity: b.identity,
        },
        { ip: req.ip },
      );
      return noContent(reply);
    },
  );

  for (const action of ['subscribe', 'unsubscribe'] as const) {
    app.post<{ Params: { caip: string }; Body: Record<string, unknown> }>(
      `/apis/v1/channels/:caip/${action}`,
      {
        schema: {
          summary: `${action === 'subscribe' ? 'Opt in to' : 'Opt out of'} a channel with an EIP-712 signature; 204`,
          tags: ['subscriptions'],
          params: params('caip'),
          body: subscriptionBody,
        },
      },
      async (req, reply) => {
        const body = {
          verificationProof: req.body.verificationProof,
          message: req.body.message,
          ...(req.body.origin !== undefined ? { origin: req.body.origin } : {}),
        };
        const result = await deps.admission[action](req.params.caip, body, { ip: req.ip });
        if (result.status === 'applied') {
          const { channel, subscriber, subscribed, settings } = result;
          deps.onSubscription?.({ channel, subscriber, subscribed, settingsRaw: settings });
        }
        return noContent(reply);
      },
    );
  }
}
