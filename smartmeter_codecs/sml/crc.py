"""CRC-16 of SML files and messages: X.25 (the standard) and KERMIT (Holley's RS485 terminal).

SML 1.04 (BSI TR-03109-1 Anlage IIIa / FNN) protects the transport frame and every message
with CRC-16/X.25: polynomial 0x1021 processed bit-reflected, init 0xFFFF, final XOR 0xFFFF
(check value 0x906E for "123456789"). Holley DTZ541 meters read on their RS485 terminal use
CRC-16/KERMIT instead: the same reflected polynomial with init 0 and no final XOR (check
0x2189); SmlLib issue #22, libsml ``sml_message.c`` fallback (docs/formats/sml.md).

Both live in :mod:`smartmeter_codecs._crc` (with the other formats' CRCs) and run in C
through :func:`binascii.crc_hqx` on bit-reversed bytes.
"""
from __future__ import annotations

from .._crc import crc16_kermit, crc16_x25

__all__ = ["CRC_FUNCTIONS", "crc16_kermit", "crc16_x25"]

#: name -> function, the names used by ``crc=`` options and in ``extra["crc"]``
CRC_FUNCTIONS = {"x25": crc16_x25, "kermit": crc16_kermit}
