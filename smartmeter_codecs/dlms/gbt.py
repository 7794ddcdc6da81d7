"""General block transfer (Green Book 9.4.6.13, IEC 62056-5-3): long APDUs split in blocks.

    general-block-transfer ::= 0xE0 block-control(1) block-number(2) block-number-ack(2) block-data(BER len + bytes)
    block-control: bit 7 last-block, bit 6 streaming, bits 0-5 window size

L&G E450/E570 push their data-notifications this way, one block per HDLC frame. Blocks are
numbered from 1; the APDU is complete at the block with the last-block bit. A block 1 while
a message is open starts a new one (the open one is reported incomplete); a gap, a repeated
block or a last block without its predecessors is an IncompleteError: a message missing a
block is never decoded from the blocks that did arrive (docs/formats/dlms.md).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import FramingError, IncompleteError
from .axdr import decode_length

__all__ = ["Block", "parse_block", "GbtAssembler", "build_blocks"]

LAYER = "gbt"


@dataclass(frozen=True, slots=True)
class Block:
    last: bool
    streaming: bool
    window: int
    number: int
    ack: int
    data: bytes
    start: int      # offset of the 0xE0 tag
    data_start: int
    end: int


def parse_block(buf: bytes, pos: int = 0, end: int | None = None) -> Block:
    end = len(buf) if end is None else end
    if pos >= end or buf[pos] != 0xE0:
        raise FramingError(LAYER, pos, "expected general-block-transfer tag 0xE0")
    if pos + 6 > end:
        raise IncompleteError(LAYER, pos, "block header needs 6 bytes")
    ctrl = buf[pos + 1]
    number = (buf[pos + 2] << 8) | buf[pos + 3]
    ack = (buf[pos + 4] << 8) | buf[pos + 5]
    n, p = decode_length(buf, pos + 6, end)
    if p + n > end:
        raise IncompleteError(LAYER, p, f"block data of {n} bytes, only {end - p} present")
    return Block(bool(ctrl & 0x80), bool(ctrl & 0x40), ctrl & 0x3F, number, ack, bytes(buf[p:p + n]), pos, p, p + n)


class GbtAssembler:
    """Collects blocks in order; ``push`` returns the complete APDU at the last block.

    ``push`` raises IncompleteError for a block that cannot continue the open message; the
    assembler is then reset (or restarted with that block when it is block 1), so the next
    message decodes normally.
    """

    MAX_BYTES = 65536   # bound: no HAN push comes near this

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._next = 1
        self._size = 0
        self.first_offset: int | None = None

    @property
    def open(self) -> bool:
        return bool(self._parts)

    def reset(self) -> None:
        self._parts = []
        self._next = 1
        self._size = 0
        self.first_offset = None

    def push(self, block: Block, offset: int = 0) -> bytes | None:
        if block.number == 1 and self._parts:
            dropped = self._next - 1
            self.reset()
            self._start(block, offset)
            if block.last:
                return self._finish()
            raise IncompleteError(LAYER, offset, f"block 1 arrived while blocks 1..{dropped} of an earlier "
                                                 f"message waited for block {dropped + 1}; earlier message dropped")
        if block.number != self._next:
            expected = self._next
            self.reset()
            if expected == 1:
                raise IncompleteError(LAYER, offset, f"block {block.number} without the blocks before it "
                                                     f"(expected block 1)")
            raise IncompleteError(LAYER, offset, f"block {block.number} where block {expected} was expected "
                                                 f"(missing, repeated or out of order); message dropped")
        if not self._parts:
            self._start(block, offset)
        else:
            self._parts.append(block.data)
            self._size += len(block.data)
            self._next += 1
        if self._size > self.MAX_BYTES:
            self.reset()
            raise FramingError(LAYER, offset, f"block-transfer message exceeds {self.MAX_BYTES} bytes")
        if block.last:
            return self._finish()
        return None

    def _start(self, block: Block, offset: int) -> None:
        self._parts = [block.data]
        self._size = len(block.data)
        self._next = 2
        self.first_offset = offset

    def _finish(self) -> bytes:
        data = b"".join(self._parts)
        self.reset()
        return data


def build_blocks(apdu: bytes, block_size: int = 100, *, streaming: bool = True) -> list[bytes]:
    """Split an APDU into general-block-transfer blocks (simulators, tests)."""
    from .axdr import encode_length
    chunks = [apdu[i:i + block_size] for i in range(0, len(apdu), block_size)] or [b""]
    out = []
    for i, chunk in enumerate(chunks, start=1):
        ctrl = (0x80 if i == len(chunks) else 0) | (0x40 if streaming else 0)
        out.append(bytes((0xE0, ctrl, i >> 8, i & 0xFF, 0, 0)) + encode_length(len(chunk)) + chunk)
    return out
