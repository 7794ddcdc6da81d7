"""German SML 1.04 (Smart Message Language) from the optical/IR interface: format ``"sml"``.

Layers, each bytes -> typed frozen value and back: :mod:`.crc` (CRC-16/X.25 and Holley's
KERMIT), :mod:`.transport` (escape sequences, padding, frame CRC, stream splitter),
:mod:`.tl` (type-length encoding), :mod:`.messages` (PublicOpen/GetList/GetProcParameter/Close/
Attention responses), :mod:`.mapping` (list entries -> Registers -> Reading, meter quirks as
tables), :mod:`.codec` (the codec object, stream decoder, encoder), :mod:`.inspect`.
See docs/formats/sml.md.
"""
from __future__ import annotations

from .codec import CODEC, SmlCodec, SmlFile, SmlStream, decode_files, encode_reading, parse_files
from .crc import crc16_kermit, crc16_x25
from .mapping import PROFILES, Profile, ServerId, parse_server_id, to_reading
from .messages import (
    AttentionResponse,
    CloseResponse,
    GetListResponse,
    GetProcParameterResponse,
    ListEntry,
    Message,
    OpenResponse,
    SmlTime,
    Tree,
    parse_messages,
)
from .transport import MAX_FILE, FileSplitter, TransportFile, build_file, parse_file

__all__ = [
    "CODEC",
    "MAX_FILE",
    "PROFILES",
    "AttentionResponse",
    "CloseResponse",
    "FileSplitter",
    "GetListResponse",
    "GetProcParameterResponse",
    "ListEntry",
    "Message",
    "OpenResponse",
    "Profile",
    "ServerId",
    "SmlCodec",
    "SmlFile",
    "SmlStream",
    "SmlTime",
    "TransportFile",
    "Tree",
    "build_file",
    "crc16_kermit",
    "crc16_x25",
    "decode_files",
    "encode_reading",
    "parse_file",
    "parse_files",
    "parse_messages",
    "parse_server_id",
    "to_reading",
]
