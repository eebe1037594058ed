// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/**
 * @title TestWallet (tests and devnet only)
 * @notice The smallest ERC-1271 contract wallet: one owner EOA whose ECDSA signature the wallet accepts as its own.
 * It lets tests make a contract a channel or a subscriber (through `execute`) and sign for it off-chain, the way
 * a Safe or a smart account would, without pulling a real wallet implementation into the repository.
 */
contract TestWallet {
    bytes4 internal constant ERC1271_MAGIC = 0x1626ba7e;
    bytes4 internal constant ERC1271_INVALID = 0xffffffff;
    /// secp256k1n / 2: a higher s is the malleable twin of a valid signature (EIP-2).
    uint256 internal constant HALF_CURVE_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    address public owner;

    constructor(address _owner) {
        require(_owner != address(0), "TestWallet: zero owner");
        owner = _owner;
    }

    /// ERC-1271. Never reverts on a bad signature: callers read 0xffffffff as "not ours".
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 65) return ERC1271_INVALID;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (v < 27) v += 27;
        if (uint256(s) > HALF_CURVE_ORDER) return ERC1271_INVALID;
        address signer = ecrecover(hash, v, r, s);
        return signer != address(0) && signer == owner ? ERC1271_MAGIC : ERC1271_INVALID;
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
