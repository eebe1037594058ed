// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Only the part of PushComm that Core calls.
interface IPushCommFromCore {
    function subscribeViaCore(address channel, address user) external returns (bool);

    function unSubscribeViaCore(address channel, address user) external returns (bool);
}

/**
 * @title PushCore (test and devnet stand-in)
 * @notice Emits exactly the events of the deployed Push Core (V1/V1.5 and V2 layouts; names, ordered types and indexed
 * flags as deployed, typos included), so that an indexer written against the real ABI runs unchanged.
 * There is no PUSH token: amounts in events are bookkeeping numbers computed with the real fee constants.
 *
 * The devnet places this runtime code with `hardhat_setCode`, so no constructor ever runs and nothing may be
 * `immutable`: `initialize` sets the state once instead.
 */
contract PushCore {
    // ---------------------------------------------------------------- events (as deployed, see contracts.md §2.1)
    event AddChannel(address indexed channel, uint8 indexed channelType, bytes identity);
    /// V1 / V1.5 layout.
    event UpdateChannel(address indexed channel, bytes identity);
    /// V2 / V2.5 layout: same name, extra indexed amount, hence another topic0.
    event UpdateChannel(address indexed channel, bytes identity, uint256 indexed amountDeposited);
    event ChannelVerified(address indexed channel, address indexed verifier);
    event ChannelVerificationRevoked(address indexed channel, address indexed revoker);
    event DeactivateChannel(address indexed channel, uint256 indexed amountRefunded);
    event ReactivateChannel(address indexed channel, uint256 indexed amountDeposited);
    event ChannelBlocked(address indexed channel);
    event ChannelNotifcationSettingsAdded(
        address _channel,
        uint256 totalNotifOptions,
        string _notifSettings,
        string _notifDescription
    );
    event AddSubGraph(address indexed channel, bytes _subGraphData);
    event TimeBoundChannelDestroyed(address indexed channel, uint256 indexed amountRefunded);
    /// Emitted by the (OpenZeppelin) proxy on an implementation switch; reproduced for version-switch tests.
    event Upgraded(address indexed implementation);

    // ---------------------------------------------------------------- channel model (mirrors the real struct order)
    uint8 internal constant TYPE_PROTOCOL_NON_INTEREST = 0;
    uint8 internal constant TYPE_TIME_BOUND = 4;
    uint8 internal constant TYPE_TOKEN_GAITED = 5;

    uint8 internal constant STATE_NONE = 0;
    uint8 internal constant STATE_ACTIVE = 1;
    uint8 internal constant STATE_DEACTIVATED = 2;
    uint8 internal constant STATE_BLOCKED = 3;

    uint256 public constant ADD_CHANNEL_MIN_FEES = 50 ether;
    uint256 public constant FEE_AMOUNT = 10 ether;
    uint256 public constant MIN_POOL_CONTRIBUTION = 1 ether;
    /// The admin may destroy an expired time-bound channel only after this grace period.
    uint256 public constant TIME_BOUND_ADMIN_GRACE = 14 days;

    struct Channel {
        uint8 channelType;
        /// 0 never created (or destroyed), 1 active, 2 deactivated by its owner, 3 blocked (terminal).
        uint8 channelState;
        /// Who verified this channel; 0 = unverified. Verification status is derived by walking this chain upward.
        address verifiedBy;
        uint256 poolContribution;
        uint256 channelHistoricalZ;
        uint256 channelFairShareCount;
        uint256 channelLastUpdate;
        uint256 channelStartBlock;
        uint256 channelUpdateBlock;
        uint256 channelWeight;
        uint256 expiryTime;
    }

    // ---------------------------------------------------------------- state
    /// Guards `initialize`: storage starts zeroed after hardhat_setCode, so the first call wins.
    bool public initialized;
    address public pushChannelAdmin;
    address public governance;
    address public epnsCommunicator;

    mapping(address => Channel) public channels;
    /// Number of channels that exist (state 1 or 2; blocked and destroyed channels are not counted).
    uint256 public channelsCount;
    mapping(address => string) public channelNotifSettings;
    mapping(address => uint256) public channelUpdateCounter;

    // ---------------------------------------------------------------- modifiers
    modifier onlyPushChannelAdmin() {
        require(msg.sender == pushChannelAdmin, "PushCore: caller is not the admin");
        _;
    }

    modifier onlyActivatedChannels(address channel) {
        require(channels[channel].channelState == STATE_ACTIVE, "PushCore: channel is not active");
        _;
    }

    // ---------------------------------------------------------------- setup
    function initialize(address admin, address communicator) external {
        require(!initialized, "PushCore: already initialized");
        require(admin != address(0), "PushCore: admin is zero");
        initialized = true;
        pushChannelAdmin = admin;
        governance = admin;
        epnsCommunicator = communicator;
    }

    function setEpnsCommunicatorAddress(address communicator) external onlyPushChannelAdmin {
        epnsCommunicator = communicator;
    }

    /// Test helper: emit the proxy's `Upgraded` log so an indexer's version-switch handling can be exercised.
    function simulateUpgrade(address implementation) external onlyPushChannelAdmin {
        emit Upgraded(implementation);
    }

    // ---------------------------------------------------------------- channel lifecycle
    /// Short form for tests and demos: a channel with the minimum deposit and no expiry.
    function createChannel(uint8 channelType, bytes calldata identity) external {
        _createChannelWithPUSH(channelType, identity, ADD_CHANNEL_MIN_FEES, 0);
    }

    /// Same shape (and selector) as the deployed function; `amount` is recorded, no token moves.
    function createChannelWithPUSH(
        uint8 _channelType,
        bytes calldata _identity,
        uint256 _amount,
        uint256 _channelExpiryTime
    ) external {
        _createChannelWithPUSH(_channelType, _identity, _amount, _channelExpiryTime);
    }

    function _createChannelWithPUSH(
        uint8 channelType,
        bytes calldata identity,
        uint256 amount,
        uint256 expiryTime
    ) internal {
        require(channels[msg.sender].channelState == STATE_NONE, "PushCore: channel already exists");
        require(channelType >= 2 && channelType <= TYPE_TOKEN_GAITED, "PushCore: invalid channel type");
        require(amount >= ADD_CHANNEL_MIN_FEES, "PushCore: insufficient deposit");
        if (channelType == TYPE_TIME_BOUND) {
            require(expiryTime > block.timestamp, "PushCore: invalid expiry time");
        } else {
            expiryTime = 0;
        }
        // V1.5/V2 order: AddChannel first, then the Comm Subscribe logs from _createChannel.
        emit AddChannel(msg.sender, channelType, identity);
        _createChannel(msg.sender, channelType, amount - FEE_AMOUNT, expiryTime);
    }

    function _createChannel(address channel, uint8 channelType, uint256 poolContribution, uint256 expiryTime)
        internal
    {
        Channel storage data = channels[channel];
        data.channelType = channelType;
        data.channelState = STATE_ACTIVE;
        data.poolContribution = poolContribution;
        data.channelStartBlock = block.number;
        data.channelUpdateBlock = block.number;
        data.channelWeight = 1;
        data.expiryTime = expiryTime;
        channelsCount += 1;

        IPushCommFromCore comm = IPushCommFromCore(epnsCommunicator);
        // Every channel subscribes to itself (except the admin's own channel)...
        if (channel != pushChannelAdmin) {
            comm.subscribeViaCore(channel, channel);
        }
        // ...the channel is subscribed to the alerter channel 0x0, and the admin subscribes to the channel.
        if (channel != address(0)) {
            comm.subscribeViaCore(address(0), channel);
            comm.subscribeViaCore(channel, pushChannelAdmin);
        }
    }

    /**
     * V1 bootstrap of the protocol channels (admin channel and the 0x0 "alerter"), kept because its log order differs:
     * the Comm Subscribe logs come BEFORE each AddChannel. Callable once (both channels must not exist yet).
     */
    function createChannelForPushChannelAdmin() external onlyPushChannelAdmin {
        require(channels[pushChannelAdmin].channelState == STATE_NONE, "PushCore: admin channel exists");
        require(channels[address(0)].channelState == STATE_NONE, "PushCore: alerter channel exists");
        _createChannel(pushChannelAdmin, TYPE_PROTOCOL_NON_INTEREST, 0, 0);
        emit AddChannel(pushChannelAdmin, TYPE_PROTOCOL_NON_INTEREST, "1+QmSbRT16JVF922yAB26YxWFD6DmGsnSHm8VBrGUQnXTS74");
        _createChannel(address(0), TYPE_PROTOCOL_NON_INTEREST, 0, 0);
        emit AddChannel(address(0), TYPE_PROTOCOL_NON_INTEREST, "1+QmTCKYL2HRbwD6nGNvFLe4wPvDNuaYGr6RiVeCvWjVpn5s");
    }

    /// V2 semantics: 3-argument UpdateChannel with the fee of the n-th update (50 PUSH x n).
    function updateChannelMeta(bytes calldata identity) external onlyActivatedChannels(msg.sender) {
        uint256 amount = _recordMetaUpdate(msg.sender);
        emit UpdateChannel(msg.sender, identity, amount);
    }

    /// V1/V1.5 semantics: the 2-argument UpdateChannel layout.
    function updateChannelMetaV1(bytes calldata identity) external onlyActivatedChannels(msg.sender) {
        _recordMetaUpdate(msg.sender);
        emit UpdateChannel(msg.sender, identity);
    }

    function _recordMetaUpdate(address channel) internal returns (uint256 amount) {
        uint256 counter = channelUpdateCounter[channel] + 1;
        channelUpdateCounter[channel] = counter;
        channels[channel].channelUpdateBlock = block.number;
        amount = ADD_CHANNEL_MIN_FEES * counter;
    }

    function deactivateChannel() external onlyActivatedChannels(msg.sender) {
        Channel storage data = channels[msg.sender];
        uint256 refund = data.poolContribution > MIN_POOL_CONTRIBUTION
            ? data.poolContribution - MIN_POOL_CONTRIBUTION
            : 0;
        data.poolContribution -= refund;
        data.channelState = STATE_DEACTIVATED;
        emit DeactivateChannel(msg.sender, refund);
    }

    function reactivateChannel() external {
        Channel storage data = channels[msg.sender];
        require(data.channelState == STATE_DEACTIVATED, "PushCore: channel is not deactivated");
        data.poolContribution += ADD_CHANNEL_MIN_FEES - FEE_AMOUNT;
        data.channelState = STATE_ACTIVE;
        emit ReactivateChannel(msg.sender, ADD_CHANNEL_MIN_FEES);
    }

    function blockChannel(address channel) external onlyPushChannelAdmin {
        Channel storage data = channels[channel];
        require(
            data.channelState != STATE_NONE && data.channelState != STATE_BLOCKED,
            "PushCore: channel cannot be blocked"
        );
        data.channelState = STATE_BLOCKED;
        channelsCount -= 1;
        emit ChannelBlocked(channel);
    }

    /// Owner: after expiry (refund of the pool contribution above the minimum). Admin: after expiry + 14 days (no
    /// refund to the owner). The struct is deleted, so the address may create a channel again.
    function destroyTimeBoundChannel(address channel) external {
        Channel memory data = channels[channel];
        require(
            data.channelState == STATE_ACTIVE || data.channelState == STATE_DEACTIVATED,
            "PushCore: channel does not exist"
        );
        require(data.channelType == TYPE_TIME_BOUND, "PushCore: not a time-bound channel");
        uint256 refund = 0;
        if (msg.sender == channel) {
            require(block.timestamp >= data.expiryTime, "PushCore: channel has not expired");
            refund = data.poolContribution > MIN_POOL_CONTRIBUTION ? data.poolContribution - MIN_POOL_CONTRIBUTION : 0;
        } else {
            require(msg.sender == pushChannelAdmin, "PushCore: caller is not the channel or the admin");
            require(block.timestamp >= data.expiryTime + TIME_BOUND_ADMIN_GRACE, "PushCore: grace period not over");
        }
        delete channels[channel];
        delete channelNotifSettings[channel];
        channelsCount -= 1;

        IPushCommFromCore comm = IPushCommFromCore(epnsCommunicator);
        comm.unSubscribeViaCore(address(0), channel);
        comm.unSubscribeViaCore(channel, channel);
        comm.unSubscribeViaCore(channel, pushChannelAdmin);
        // As deployed: the first argument is the caller, i.e. the admin (not the channel) when the admin destroys it.
        emit TimeBoundChannelDestroyed(msg.sender, refund);
    }

    // ---------------------------------------------------------------- settings and subgraph
    /// Stores and emits "<notifOptions>+<notifSettings>", as deployed (callers pass the option list only).
    function createChannelSettings(
        uint256 _notifOptions,
        string calldata _notifSettings,
        string calldata _notifDescription
    ) external onlyActivatedChannels(msg.sender) {
        string memory settings = string(abi.encodePacked(_toString(_notifOptions), "+", _notifSettings));
        channelNotifSettings[msg.sender] = settings;
        emit ChannelNotifcationSettingsAdded(msg.sender, _notifOptions, settings, _notifDescription);
    }

    function addSubGraph(bytes calldata _subGraphData) external onlyActivatedChannels(msg.sender) {
        emit AddSubGraph(msg.sender, _subGraphData);
    }

    // ---------------------------------------------------------------- verification
    /// 0 unverified, 1 primary (verified by the admin, or a protocol channel), 2 secondary (verified by a channel whose
    /// chain of verifiers reaches the admin). Revoking a verifier silently unverifies what it verified.
    function getChannelVerfication(address channel) public view returns (uint8) {
        if (channel == address(0) || channel == pushChannelAdmin) return 1;
        address verifier = channels[channel].verifiedBy;
        if (verifier == pushChannelAdmin) return 1;
        // Verification is only granted by verified callers, so the chain is finite; the bound is a cheap guard.
        for (uint256 depth = 0; depth < 256 && verifier != address(0); depth++) {
            if (verifier == pushChannelAdmin) return 2;
            verifier = channels[verifier].verifiedBy;
        }
        return 0;
    }

    function verifyChannel(address channel) external onlyActivatedChannels(channel) {
        require(getChannelVerfication(msg.sender) > 0, "PushCore: caller is not verified");
        require(
            channels[channel].verifiedBy == address(0) || msg.sender == pushChannelAdmin,
            "PushCore: channel already verified"
        );
        channels[channel].verifiedBy = msg.sender;
        emit ChannelVerified(channel, msg.sender);
    }

    function unverifyChannel(address channel) external {
        address verifier = channels[channel].verifiedBy;
        require(verifier != address(0), "PushCore: channel is not verified");
        require(msg.sender == verifier || msg.sender == pushChannelAdmin, "PushCore: caller may not unverify");
        channels[channel].verifiedBy = address(0);
        emit ChannelVerificationRevoked(channel, msg.sender);
    }

    // ---------------------------------------------------------------- helpers
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
