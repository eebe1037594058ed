// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// ERC-1271, for subscribeBySig / unsubscribeBySig / sendNotifBySig signed by a contract wallet.
interface IERC1271 {
    function isValidSignature(bytes32 hash, bytes memory signature) external view returns (bytes4);
}

/**
 * @title PushComm (test and devnet stand-in)
 * @notice Emits exactly the events of the deployed Push Communicator (names, ordered types and indexed flags as
 * deployed, typos included) with V2 rules: idempotent (un)subscribe, `sendNotification` by the channel or a delegate
 * only (otherwise `false` and no log), V1.5+ EIP-712 meta-transactions under the domain "EPNS COMM V1" (no version).
 *
 * The devnet places this runtime code with `hardhat_setCode`, so no constructor ever runs and nothing may be
 * `immutable`: `initialize` sets the state once instead.
 */
contract PushComm {
    // ---------------------------------------------------------------- events (as deployed, see contracts.md §2.2)
    event SendNotification(address indexed channel, address indexed recipient, bytes identity);
    event Subscribe(address indexed channel, address indexed user);
    event Unsubscribe(address indexed channel, address indexed user);
    event AddDelegate(address channel, address delegate);
    event RemoveDelegate(address channel, address delegate);
    event UserNotifcationSettingsAdded(address _channel, address _user, uint256 _notifID, string _notifSettings);
    event PublicKeyRegistered(address indexed owner, bytes publickey);
    event ChannelAlias(
        string _chainName,
        uint256 indexed _chainID,
        address indexed _channelOwnerAddress,
        string _ethereumChannelAddress
    );
    event RemoveChannelAlias(
        string _chainName,
        uint256 indexed _chainID,
        address indexed _channelOwnerAddress,
        string _baseChannelAddress
    );
    /// Emitted by the (OpenZeppelin) proxy on an implementation switch; reproduced for version-switch tests.
    event Upgraded(address indexed implementation);

    // ---------------------------------------------------------------- EIP-712 (contracts.md §4)
    string public constant name = "EPNS COMM V1";
    bytes32 public constant NAME_HASH = keccak256(bytes(name));
    bytes32 public constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,uint256 chainId,address verifyingContract)");
    bytes32 public constant SUBSCRIBE_TYPEHASH =
        keccak256("Subscribe(address channel,address subscriber,uint256 nonce,uint256 expiry)");
    bytes32 public constant UNSUBSCRIBE_TYPEHASH =
        keccak256("Unsubscribe(address channel,address subscriber,uint256 nonce,uint256 expiry)");
    bytes32 public constant SEND_NOTIFICATION_TYPEHASH =
        keccak256("SendNotification(address channel,address recipient,bytes identity,uint256 nonce,uint256 expiry)");
    bytes4 internal constant ERC1271_MAGIC = 0x1626ba7e;

    // ---------------------------------------------------------------- state
    /// Guards `initialize`: storage starts zeroed after hardhat_setCode, so the first call wins.
    bool public initialized;
    address public pushChannelAdmin;
    address public governance;
    /// Set on the core chain only; zero elsewhere (then subscribeViaCore is unusable).
    address public EPNSCoreAddress;
    string public chainName;
    uint256 public chainID;

    /// channel => user => subscribed. Every Subscribe/Unsubscribe log corresponds to a flip of this flag.
    mapping(address => mapping(address => bool)) internal subscribed;
    /// channel => delegate => may send on the channel's behalf.
    mapping(address => mapping(address => bool)) public delegatedNotificationSenders;
    /// user => channel => "<notifID>+<settings>" as last emitted.
    mapping(address => mapping(address => string)) public userToChannelNotifs;
    /// One counter per signer, shared by every *BySig function.
    mapping(address => uint256) public nonces;
    mapping(address => bool) public isPublicKeyRegistered;

    // ---------------------------------------------------------------- modifiers
    modifier onlyPushChannelAdmin() {
        require(msg.sender == pushChannelAdmin, "PushComm: caller is not the admin");
        _;
    }

    modifier onlyPushCore() {
        require(msg.sender == EPNSCoreAddress && msg.sender != address(0), "PushComm: caller is not Core");
        _;
    }

    // ---------------------------------------------------------------- setup
    /// `_chainID` 0 means "this chain" (block.chainid), as the deployed contracts read it at initialisation.
    function initialize(address admin, string calldata _chainName, uint256 _chainID, address core) external {
        require(!initialized, "PushComm: already initialized");
        require(admin != address(0), "PushComm: admin is zero");
        initialized = true;
        pushChannelAdmin = admin;
        governance = admin;
        chainName = _chainName;
        chainID = _chainID == 0 ? block.chainid : _chainID;
        EPNSCoreAddress = core;
    }

    function setEPNSCoreAddress(address core) external onlyPushChannelAdmin {
        EPNSCoreAddress = core;
    }

    /// Test helper: emit the proxy's `Upgraded` log so an indexer's version-switch handling can be exercised.
    function simulateUpgrade(address implementation) external onlyPushChannelAdmin {
        emit Upgraded(implementation);
    }

    // ---------------------------------------------------------------- subscriptions
    function isUserSubscribed(address channel, address user) public view returns (bool) {
        return subscribed[channel][user];
    }

    function subscribe(address channel) external returns (bool) {
        _subscribe(channel, msg.sender);
        return true;
    }

    function batchSubscribe(address[] calldata channelList) external returns (bool) {
        for (uint256 i = 0; i < channelList.length; i++) {
            _subscribe(channelList[i], msg.sender);
        }
        return true;
    }

    function unsubscribe(address channel) external returns (bool) {
        _unsubscribe(channel, msg.sender);
        return true;
    }

    function batchUnsubscribe(address[] calldata channelList) external returns (bool) {
        for (uint256 i = 0; i < channelList.length; i++) {
            _unsubscribe(channelList[i], msg.sender);
        }
        return true;
    }

    function subscribeViaCore(address channel, address user) external onlyPushCore returns (bool) {
        _subscribe(channel, user);
        return true;
    }

    function unSubscribeViaCore(address channel, address user) external onlyPushCore returns (bool) {
        _unsubscribe(channel, user);
        return true;
    }

    /// V1.5+ shape. Reverts on a bad signature, nonce or expiry.
    function subscribeBySig(
        address channel,
        address subscriber,
        uint256 nonce,
        uint256 expiry,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        bytes32 structHash = keccak256(abi.encode(SUBSCRIBE_TYPEHASH, channel, subscriber, nonce, expiry));
        _consumeSignature(subscriber, structHash, nonce, expiry, v, r, s);
        _subscribe(channel, subscriber);
    }

    /// V1.5+ shape. Reverts on a bad signature, nonce or expiry.
    function unsubscribeBySig(
        address channel,
        address subscriber,
        uint256 nonce,
        uint256 expiry,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        bytes32 structHash = keccak256(abi.encode(UNSUBSCRIBE_TYPEHASH, channel, subscriber, nonce, expiry));
        _consumeSignature(subscriber, structHash, nonce, expiry, v, r, s);
        _unsubscribe(channel, subscriber);
    }

    /**
     * Admin-only bulk emitter (the deployed one is a one-off migration helper): one Subscribe per (channels[i], users[i])
     * pair not already subscribed. Used by tests and the indexer benchmark to put hundreds of logs in one block.
     */
    function migrateSubscribeData(address[] calldata channelList, address[] calldata usersList)
        external
        onlyPushChannelAdmin
        returns (bool)
    {
        require(channelList.length == usersList.length, "PushComm: length mismatch");
        for (uint256 i = 0; i < channelList.length; i++) {
            _subscribe(channelList[i], usersList[i]);
        }
        return true;
    }

    // Idempotent as in V1.5+: a duplicate emits nothing (V1 reverted).
    function _subscribe(address channel, address user) internal {
        if (subscribed[channel][user]) return;
        subscribed[channel][user] = true;
        emit Subscribe(channel, user);
    }

    function _unsubscribe(address channel, address user) internal {
        if (!subscribed[channel][user]) return;
        subscribed[channel][user] = false;
        delete userToChannelNotifs[user][channel];
        emit Unsubscribe(channel, user);
    }

    // ---------------------------------------------------------------- delegates (keyed by msg.sender, as deployed)
    function addDelegate(address delegate) external {
        delegatedNotificationSenders[msg.sender][delegate] = true;
        emit AddDelegate(msg.sender, delegate);
    }

    function removeDelegate(address delegate) external {
        delegatedNotificationSenders[msg.sender][delegate] = false;
        emit RemoveDelegate(msg.sender, delegate);
    }

    // ---------------------------------------------------------------- notifications
    /// V2 rules: the channel itself, a delegate of it, or the admin for the 0x0 alerter channel. Otherwise `false` and
    /// no log (V1 reverted; V1/V1.5 also allowed self-notification, V2 does not).
    function sendNotification(address channel, address recipient, bytes calldata identity) external returns (bool) {
        if (!_maySend(channel, msg.sender)) return false;
        emit SendNotification(channel, recipient, identity);
        return true;
    }

    /**
     * Bulk emitter for tests and the benchmark: one SendNotification per recipient, same identity, in one tx.
     * Same authorisation as sendNotification, but it reverts instead of returning false so a misconfigured benchmark
     * fails loudly.
     */
    function batchSendNotification(address channel, address[] calldata recipients, bytes calldata identity)
        external
        returns (bool)
    {
        require(_maySend(channel, msg.sender), "PushComm: caller is not the channel or its delegate");
        for (uint256 i = 0; i < recipients.length; i++) {
            emit SendNotification(channel, recipients[i], identity);
        }
        return true;
    }

    /// V1.5+ shape. Returns false (no revert, no log) on a bad signature, nonce, expiry or signer.
    function sendNotifBySig(
        address channel,
        address recipient,
        address signer,
        bytes calldata identity,
        uint256 nonce,
        uint256 expiry,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (bool) {
        if (signer != channel && signer != recipient && !delegatedNotificationSenders[channel][signer]) return false;
        if (nonce != nonces[signer] || block.timestamp > expiry) return false;
        bytes32 structHash = keccak256(
            abi.encode(SEND_NOTIFICATION_TYPEHASH, channel, recipient, keccak256(identity), nonce, expiry)
        );
        if (!_isValidSignature(signer, _digest(structHash), v, r, s)) return false;
        nonces[signer] = nonce + 1;
        emit SendNotification(channel, recipient, identity);
        return true;
    }

    function _maySend(address channel, address sender) internal view returns (bool) {
        return channel == sender
            || delegatedNotificationSenders[channel][sender]
            || (channel == address(0) && sender == pushChannelAdmin);
    }

    // ---------------------------------------------------------------- user settings
    /// Stores and emits "<notifID>+<notifSettings>" (callers pass the option list only). The caller must be subscribed.
    function changeUserChannelSettings(address channel, uint256 notifID, string calldata notifSettings) external {
        require(subscribed[channel][msg.sender], "PushComm: user is not subscribed to the channel");
        string memory settings = string(abi.encodePacked(_toString(notifID), "+", notifSettings));
        userToChannelNotifs[msg.sender][channel] = settings;
        emit UserNotifcationSettingsAdded(channel, msg.sender, notifID, settings);
    }

    // ---------------------------------------------------------------- aliases (contracts.md §7)
    /// Serves both handshake steps: on the core chain the channel names its alias ("eip155:<chain>:<alias>"); on the
    /// alias chain the alias names its channel ("0x…" or "eip155:<coreChain>:0x…").
    function verifyChannelAlias(string calldata channelAddress) external {
        emit ChannelAlias(chainName, chainID, msg.sender, channelAddress);
    }

    function removeChannelAlias(string calldata channelAddress) external {
        emit RemoveChannelAlias(chainName, chainID, msg.sender, channelAddress);
    }

    // ---------------------------------------------------------------- public keys
    /// 64-byte uncompressed secp256k1 key (no 0x04 prefix) whose address must be the caller. Registered once.
    function broadcastUserPublicKey(bytes calldata publicKey) external {
        require(publicKey.length == 64, "PushComm: public key must be 64 bytes");
        require(address(uint160(uint256(keccak256(publicKey)))) == msg.sender, "PushComm: key does not match caller");
        if (isPublicKeyRegistered[msg.sender]) return;
        isPublicKeyRegistered[msg.sender] = true;
        emit PublicKeyRegistered(msg.sender, publicKey);
    }

    // ---------------------------------------------------------------- helpers
    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        // address(this) is the address the code was placed at, i.e. the SDK's verifyingContract on the devnet.
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, block.chainid, address(this)));
    }

    function _digest(bytes32 structHash) internal view returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", DOMAIN_SEPARATOR(), structHash));
    }

    function _consumeSignature(
        address signer,
        bytes32 structHash,
        uint256 nonce,
        uint256 expiry,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) internal {
        require(nonce == nonces[signer], "PushComm: invalid nonce");
        require(block.timestamp <= expiry, "PushComm: signature expired");
        require(_isValidSignature(signer, _digest(structHash), v, r, s), "PushComm: invalid signature");
        nonces[signer] = nonce + 1;
    }

    function _isValidSignature(address signer, bytes32 digest, uint8 v, bytes32 r, bytes32 s)
        internal
        view
        returns (bool)
    {
        if (signer.code.length > 0) {
            try IERC1271(signer).isValidSignature(digest, abi.encodePacked(r, s, v)) returns (bytes4 magic) {
                return magic == ERC1271_MAGIC;
            } catch {
                return false;
            }
        }
        address recovered = ecrecover(digest, v, r, s);
        return recovered != address(0) && recovered == signer;
    }

    function _toString(uint256 value) internal pure returns (string memory) {
        if (value == 0) return "0";
        uint256 digits = 0;
        for (uint256 v = value; v != 0; v /= 10) digits++;
        bytes memory out = new bytes(digits);
        for (uint256 i = digits; i > 0; i--) {
            out[i - 1] = bytes1(uint8(48 + (value % 10)));
            value /= 10;
        }
        return string(out);
    }
}
