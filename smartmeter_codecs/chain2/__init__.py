"""Italian Chain 2 (Open Meter 2G -> household): gateway JSON, Sinapsi Alfa, tariff bands.

* ``smc.decode(json_text)`` autodetects Chain2Gate JSON (format ``"chain2"``);
  ``smc.decode(block, format="chain2-alfa")`` decodes a Sinapsi Alfa Modbus register block.
* :mod:`.messages` is the typed catalogue (CF1, CF5, CF9, CF10, CF20, CF21, CF22, CF23, CF51,
  Chain2Info, Chain2State); :mod:`.gateway_json` the Chain2Gate envelopes; :mod:`.mapping` the
  rules to and from :class:`~smartmeter_codecs.Reading`.
* :func:`tariff_band` gives the ARERA 181/06 band F1/F2/F3 of any instant.
* Raw PLC frames are not publicly documented: see :mod:`.raw` for what is and is not supported.

See docs/formats/chain2.md.
"""
from __future__ import annotations

from .alfa import ALFA_MAP, block_from_reads, decode_block, encode_block
from .datestring import DlmsDateTime
from .gateway_json import Chain2Data
from .mapping import register_key
from .messages import (
    CF1, CF5, CF9, CF10, CF20, CF21, CF22, CF23, CF51, MESSAGE_TYPES, Chain2Info, Chain2State,
    GenericMessage, Message,
)
from .tariff import SAN_FRANCESCO, easter_sunday, holidays, is_holiday, tariff_band

#: Register key of the CF22 / Alfa 782 countdown to switch-off (seconds): the same on both carriers.
SWITCH_OFF_COUNTDOWN_KEY = register_key("SwitchOffCountdownSeconds")
#: Register key of the point of delivery (POD) from CF20.
POD_KEY = register_key("POD")

__all__ = [
    "tariff_band", "holidays", "is_holiday", "easter_sunday", "SAN_FRANCESCO",
    "Message", "CF1", "CF5", "CF9", "CF10", "CF20", "CF21", "CF22", "CF23", "CF51",
    "GenericMessage", "Chain2Info", "Chain2State", "Chain2Data", "MESSAGE_TYPES", "DlmsDateTime",
    "ALFA_MAP", "decode_block", "encode_block", "block_from_reads",
    "SWITCH_OFF_COUNTDOWN_KEY", "POD_KEY", "register_key",
]
