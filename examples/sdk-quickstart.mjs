// Push SDK quickstart against a local Push Node.
//
//   terminal 1:  npm run devnet            (two local chains, demo channels, and the node on http://localhost:4000)
//   terminal 2:  node examples/sdk-quickstart.mjs
//
// The unmodified @pushprotocol/restapi talks to http://localhost:4000/apis when `env: 'local'`. The devnet uses
// hardhat's well-known test mnemonic, so the accounts below are the seeded ones: #2 owns the demo channel "beta",
// #5 subscribes to it. Never use these keys anywhere else.
import { CONSTANTS, PushAPI } from '@pushprotocol/restapi';
import { Wallet } from 'ethers';

const MNEMONIC = 'test test test test test test test test test test test junk';
const account = (i) => Wallet.fromMnemonic(MNEMONIC, `m/44'/60'/0'/0/${i}`);
const env = CONSTANTS.ENV.LOCAL;
const CORE_CHAIN = 11155111; // the devnet's core chain uses Sepolia's chain id, as the SDK expects in LOCAL

const ownerWallet = account(2);
const readerWallet = account(5);
const channel = `eip155:${CORE_CHAIN}:${ownerWallet.address}`;

// 1. Initialise both sides. The node keeps no chat profiles, so the SDK logs that it switched chat to guest mode:
//    notifications are signed with EIP-712 and work fully.
const owner = await PushAPI.initialize(ownerWallet, { env });
const reader = await PushAPI.initialize(readerWallet, { env });

// 2. The channel as the node indexed it from the devnet.
const info = await owner.channel.info();
console.log('channel:', info.channel, info.name, `${info.subscriber_count} subscribers`);

// 3. Opt in (a signed, gasless request) and listen live.
await reader.notification.subscribe(channel);
const stream = await reader.initStream([CONSTANTS.STREAM.NOTIF]);
const received = new Promise((resolve) => stream.on(CONSTANTS.STREAM.NOTIF, resolve));
await stream.connect();

// 4. Send a broadcast, then a targeted notification.
await owner.channel.send(['*'], { notification: { title: 'Hello', body: 'from your local Push Node' } });
await owner.channel.send([readerWallet.address], {
  notification: { title: 'Just for you', body: 'targeted' },
});

const live = await received;
console.log('live event:', live.event, '-', live.message.notification.title);

// 5. The inbox, as any wallet would list it.
const inbox = await reader.notification.list('INBOX', { page: 1, limit: 5 });
for (const n of inbox) console.log('inbox:', n.notification.title, '|', n.message);

await stream.disconnect();
process.exit(0);
