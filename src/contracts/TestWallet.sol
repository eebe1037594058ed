// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/**
 * @title TestWallet (tests and devnet only)
 * @notice A small ERC-1271 contract wallet: owner EOAs, `threshold` of whom must sign, their 65-byte ECDSA signatures
 * concatenated in ascending signer order (as a Safe packs them: a 2-of-n wallet signs 130 bytes). It lets tests make a
 * contract a channel or a subscriber (through `execute`) and sign for it off-chain, the way a Safe or a smart account
 * would, without pulling a real wallet implementation into the repository.
 */
contract TestWallet {
    bytes4 internal constant ERC1271_MAGIC = 0x1626ba7e;
    bytes4 internal constant ERC1271_INVALID = 0xffffffff;
    /// secp256k1n / 2: a higher s is the malleable twin of a valid signature (EIP-2).
    uint256 internal constant HALF_CURVE_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// The first owner: the one who may act as the wallet on-chain and add owners.
    address public owner;
    mapping(address => bool) public isOwner;
    uint256 public threshold = 1;

    constructor(address _owner) {
        require(_owner != address(0), "TestWallet: zero owner");
        owner = _owner;
        isOwner[_owner] = true;
    }

    function addOwner(address other, uint256 newThreshold) external {
        require(msg.sender == owner, "TestWallet: not the owner");
        require(other != address(0), "TestWallet: zero owner");
        isOwner[other] = true;
        require(newThreshold > 0, "TestWallet: zero threshold");
        threshold = newThreshold;
    }

    /// ERC-1271. Never reverts on a bad signature: callers read 0xffffffff as "not ours".
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 65 * threshold) return ERC1271_INVALID;
        address last = address(0);
        for (uint256 i = 0; i < threshold; i++) {
            uint256 at = 65 * i;
            bytes32 r = bytes32(signature[at:at + 32]);
            bytes32 s = bytes32(signature[at + 32:at + 64]);
            uint8 v = uint8(signature[at + 64]);
            if (v < 27) v += 27;
            if (uint256(s) > HALF_CURVE_ORDER) return ERC1271_INVALID;
            address signer = ecrecover(hash, v, r, s);
            // Ascending order: the same owner cannot count twice.
            if (signer == address(0) || !isOwner[signer] || signer <= last) return ERC1271_INVALID;
            last = signer;
        }
        return ERC1271_MAGIC;
    }

    /// Lets the owner act as the wallet on-chain (create a channel, subscribe, add a delegate); bubbles up reverts.
    function execute(address target, bytes calldata data) external returns (bytes memory) {
        require(msg.sender == owner, "TestWallet: not the owner");
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }
}
