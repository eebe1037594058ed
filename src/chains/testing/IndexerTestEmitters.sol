// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

// Test-only emitters for the chain indexer: every Core and Comm event of contracts.md §2.1/§2.2, with exact names,
// ordered types and indexed flags, emitted with caller-supplied arguments and no rules at all. The realistic
// contracts live in src/contracts; these exist so a test can produce any layout (both UpdateChannel forms, 0x0
// channels, staking and pause events) and cheap bulk logs for the benchmark.

contract FakeCore {
    event AddChannel(address indexed channel, uint8 indexed channelType, bytes identity);
    event UpdateChannel(address indexed channel, bytes identity);
    event UpdateChannel(address indexed channel, bytes identity, uint256 indexed amountDeposited);
    event ChannelVerified(address indexed channel, address indexed verifier);
    event ChannelVerificationRevoked(address indexed channel, address indexed revoker);
    event DeactivateChannel(address indexed channel, uint256 indexed amountRefunded);
    event ReactivateChannel(address indexed channel, uint256 indexed amountDeposited);
    event ChannelBlocked(address indexed channel);
    event ChannelNotifcationSettingsAdded(address _channel, uint256 totalNotifOptions, string _notifSettings, string _notifDescription);
    event AddSubGraph(address indexed channel, bytes _subGraphData);
    event TimeBoundChannelDestroyed(address indexed channel, uint256 indexed amountRefunded);
    event ChannelOwnershipTransfer(address indexed channel, address indexed newOwner);
    event RewardsClaimed(address indexed user, uint256 rewardAmount);
    event Staked(address indexed user, uint256 indexed amountStaked);
    event Unstaked(address indexed user, uint256 indexed amountUnstaked);
    event RewardsHarvested(address indexed user, uint256 indexed rewardAmount, uint256 fromEpoch, uint256 tillEpoch);
    event IncentivizeChatReqReceived(address requestSender, address requestReceiver, uint256 amountForReqReceiver, uint256 feePoolAmount, uint256 timestamp);
    event ChatIncentiveClaimed(address indexed user, uint256 indexed amountClaimed);
    event Paused(address account);
    event Unpaused(address account);

    function addChannel(address c, uint8 t, bytes calldata id) external { emit AddChannel(c, t, id); }
    function updateChannelV1(address c, bytes calldata id) external { emit UpdateChannel(c, id); }
    function updateChannelV2(address c, bytes calldata id, uint256 amount) external { emit UpdateChannel(c, id, amount); }
    function channelVerified(address c, address v) external { emit ChannelVerified(c, v); }
    function channelVerificationRevoked(address c, address r) external { emit ChannelVerificationRevoked(c, r); }
    function deactivateChannel(address c, uint256 a) external { emit DeactivateChannel(c, a); }
    function reactivateChannel(address c, uint256 a) external { emit ReactivateChannel(c, a); }
    function channelBlocked(address c) external { emit ChannelBlocked(c); }
    function settingsAdded(address c, uint256 n, string calldata s, string calldata d) external { emit ChannelNotifcationSettingsAdded(c, n, s, d); }
    function addSubGraph(address c, bytes calldata data) external { emit AddSubGraph(c, data); }
    function timeBoundDestroyed(address c, uint256 a) external { emit TimeBoundChannelDestroyed(c, a); }
    function ownershipTransfer(address c, address o) external { emit ChannelOwnershipTransfer(c, o); }
    function rewardsClaimed(address u, uint256 a) external { emit RewardsClaimed(u, a); }
    function staked(address u, uint256 a) external { emit Staked(u, a); }
    function unstaked(address u, uint256 a) external { emit Unstaked(u, a); }
    function rewardsHarvested(address u, uint256 a, uint256 f, uint256 t) external { emit RewardsHarvested(u, a, f, t); }
    function chatReqReceived(address s, address r, uint256 a, uint256 f, uint256 ts) external { emit IncentivizeChatReqReceived(s, r, a, f, ts); }
    function chatIncentiveClaimed(address u, uint256 a) external { emit ChatIncentiveClaimed(u, a); }
    function paused(address a) external { emit Paused(a); }
    function unpaused(address a) external { emit Unpaused(a); }
}

contract FakeComm {
    event SendNotification(address indexed channel, address indexed recipient, bytes identity);
    event Subscribe(address indexed channel, address indexed user);
    event Unsubscribe(address indexed channel, address indexed user);
    event AddDelegate(address channel, address delegate);
    event RemoveDelegate(address channel, address delegate);
    event UserNotifcationSettingsAdded(address _channel, address _user, uint256 _notifID, string _notifSettings);
    event PublicKeyRegistered(address indexed owner, bytes publickey);
    event ChannelAlias(string _chainName, uint256 indexed _chainID, address indexed _channelOwnerAddress, string _ethereumChannelAddress);
    event IncentivizeChatReqInitiated(address requestSender, address requestReceiver, uint256 amountDeposited, uint256 timestamp);
    event RemoveChannelAlias(string _chainName, uint256 indexed _chainID, address indexed _channelOwnerAddress, string _baseChannelAddress);
    // Not indexed by the node: proves that unrequested topics stay out.
    event Upgraded(address indexed implementation);

    function sendNotification(address c, address r, bytes calldata id) external { emit SendNotification(c, r, id); }
    function subscribe(address c, address u) external { emit Subscribe(c, u); }
    function unsubscribe(address c, address u) external { emit Unsubscribe(c, u); }
    function addDelegate(address c, address d) external { emit AddDelegate(c, d); }
    function removeDelegate(address c, address d) external { emit RemoveDelegate(c, d); }
    function userSettings(address c, address u, uint256 n, string calldata s) external { emit UserNotifcationSettingsAdded(c, u, n, s); }
    function publicKey(address o, bytes calldata k) external { emit PublicKeyRegistered(o, k); }
    function channelAlias(string calldata n, uint256 id, address o, string calldata a) external { emit ChannelAlias(n, id, o, a); }
    function chatReqInitiated(address s, address r, uint256 a, uint256 ts) external { emit IncentivizeChatReqInitiated(s, r, a, ts); }
    function removeChannelAlias(string calldata n, uint256 id, address o, string calldata a) external { emit RemoveChannelAlias(n, id, o, a); }
    function upgraded(address i) external { emit Upgraded(i); }

    /// Bulk logs in one transaction: `notifications` SendNotification then `subscribes` Subscribe, addresses from `salt`.
    function bulk(address channel, uint256 salt, uint256 notifications, uint256 subscribes, bytes calldata identity) external {
        for (uint256 i = 0; i < notifications; i++) {
            emit SendNotification(channel, address(uint160(uint256(keccak256(abi.encode(salt, i))))), identity);
        }
        for (uint256 i = 0; i < subscribes; i++) {
            emit Subscribe(channel, address(uint160(uint256(keccak256(abi.encode(salt, i, 1))))));
        }
    }
}
