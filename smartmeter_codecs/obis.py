"""OBIS codes (IEC 62056-61): the six-group identifiers A-B:C.D.E*F of COSEM objects."""
from __future__ import annotations

import functools
import re
import types
from typing import NamedTuple

__all__ = ["ObisCode", "READING_FIELDS"]

# "1-0:1.8.0.255", "1-0:1.8.0*255", "1-0:1.8.0", "1.0.1.8.0.255", "1.0.1.8.0", "0100010800ff"
_TEXT = re.compile(
    r"^\s*(?:(\d{1,3})-(\d{1,3}):)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:[.*&](\d{1,3}))?\s*$"
)
_DOTTED6 = re.compile(r"^\s*(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\s*$")
_DOTTED5 = re.compile(r"^\s*(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\s*$")
_HEX = re.compile(r"^\s*([0-9a-fA-F]{12})\s*$")


class _ObisGroups(NamedTuple):
    a: int
    b: int
    c: int
    d: int
    e: int
    f: int


class ObisCode(_ObisGroups):
    """An OBIS code A-B:C.D.E.F, immutable and hashable (a tuple of six ints 0..255).

    ``str()`` gives the canonical ``"A-B:C.D.E.F"`` form used as register key. Being a tuple
    keeps hashing and comparison in C: every push looks dozens of codes up.
    """

    __slots__ = ()

    def __new__(cls, a: int, b: int, c: int, d: int, e: int, f: int = 255) -> "ObisCode":
        for name, v in zip("ABCDEF", (a, b, c, d, e, f)):
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 255:
                raise ValueError(f"OBIS group {name} must be an int 0..255, got {v!r}")
        return super().__new__(cls, a, b, c, d, e, f)

    @classmethod
    def parse(cls, text: str | bytes | "ObisCode") -> "ObisCode":
        """Parse any common notation.

        Accepts ``"1-0:1.8.0.255"``, ``"1-0:1.8.0*255"``, ``"1-0:1.8.0"`` (F defaults to 255),
        ``"1.0.1.8.0.255"``, ``"1.0.1.8.0"`` (five groups: F = 255), ``"0100010800ff"`` (hex)
        and 6 raw bytes. Raises ``ValueError`` for anything else.
        """
        if isinstance(text, ObisCode):
            return text
        if isinstance(text, (bytes, bytearray, memoryview)):
            raw = bytes(text)
            if len(raw) != 6:
                raise ValueError(f"an OBIS code is 6 bytes, got {len(raw)}")
            return cls(*raw)
        if not isinstance(text, str):
            raise ValueError(f"cannot parse an OBIS code from {type(text).__name__}")
        m = _DOTTED6.match(text)
        if m:
            return cls(*(int(g) for g in m.groups()))
        m = _DOTTED5.match(text)
        if m and "-" not in text:
            a5, b5, c5, d5, e5 = (int(g) for g in m.groups())
            return cls(a5, b5, c5, d5, e5, 255)
        m = _HEX.match(text)
        if m:
            return cls(*bytes.fromhex(m.group(1)))
        m = _TEXT.match(text)
        if m and m.group(1) is not None:
            a, b, c, d, e, f = m.groups()
            return cls(int(a), int(b), int(c), int(d), int(e), int(f) if f is not None else 255)
        raise ValueError(f"not an OBIS code: {text!r} (expected e.g. '1-0:1.8.0.255')")

    @classmethod
    def from_bytes(cls, raw: bytes) -> "ObisCode":
        """The 6-byte octet-string form used on the wire."""
        if cls is ObisCode and len(raw) == 6:
            return _from_wire(bytes(raw))
        return cls.parse(bytes(raw))

    def to_bytes(self) -> bytes:
        return bytes((self.a, self.b, self.c, self.d, self.e, self.f))

    def __str__(self) -> str:
        return _text(self)

    def __repr__(self) -> str:
        return f"ObisCode('{_text(self)}')"

    @property
    def dotted(self) -> str:
        """``"1.0.1.8.0.255"`` notation."""
        return f"{self.a}.{self.b}.{self.c}.{self.d}.{self.e}.{self.f}"

    def with_b(self, b: int) -> "ObisCode":
        """The same code on another channel (group B); Kamstrup sends B=1 where others send 0."""
        return ObisCode(self.a, b, self.c, self.d, self.e, self.f)


@functools.lru_cache(maxsize=4096)
def _from_wire(raw: bytes) -> ObisCode:
    # Codes repeat in every push (a few dozen per meter): decoding a frame should not
    # re-validate the same six bytes each time. ObisCode is immutable, so sharing is safe.
    return ObisCode(*raw)


@functools.lru_cache(maxsize=1024)
def parse_cached(text: str) -> ObisCode:
    """:meth:`ObisCode.parse` for the constant codes tables name (memoised)."""
    return ObisCode.parse(text)


@functools.lru_cache(maxsize=4096)
def _text(code: tuple[int, ...]) -> str:
    return f"{code[0]}-{code[1]}:{code[2]}.{code[3]}.{code[4]}.{code[5]}"


def _reading_fields() -> "types.MappingProxyType[ObisCode, tuple[str, str | None]]":
    # IEC 62056-6-1 (OBIS) electricity codes, channel B=0, total E=0: the Reading field each one
    # fills and the SI unit its value must carry (None: unit-less). One table for every format
    # that speaks OBIS with units (P1, SML); DLMS derives the same from C/D groups (obis_map.py).
    table = {
        "1-0:1.8.0": ("active_energy_import", "Wh"),
        "1-0:2.8.0": ("active_energy_export", "Wh"),
        "1-0:3.8.0": ("reactive_energy_import", "varh"),
        "1-0:4.8.0": ("reactive_energy_export", "varh"),
        "1-0:1.7.0": ("active_power_import", "W"),
        "1-0:2.7.0": ("active_power_export", "W"),
        "1-0:3.7.0": ("reactive_power_import", "var"),
        "1-0:4.7.0": ("reactive_power_export", "var"),
        "1-0:21.7.0": ("active_power_import_l1", "W"),
        "1-0:41.7.0": ("active_power_import_l2", "W"),
        "1-0:61.7.0": ("active_power_import_l3", "W"),
        "1-0:22.7.0": ("active_power_export_l1", "W"),
        "1-0:42.7.0": ("active_power_export_l2", "W"),
        "1-0:62.7.0": ("active_power_export_l3", "W"),
        "1-0:32.7.0": ("voltage_l1", "V"),
        "1-0:52.7.0": ("voltage_l2", "V"),
        "1-0:72.7.0": ("voltage_l3", "V"),
        "1-0:31.7.0": ("current_l1", "A"),
        "1-0:51.7.0": ("current_l2", "A"),
        "1-0:71.7.0": ("current_l3", "A"),
        "1-0:14.7.0": ("frequency", "Hz"),
        "1-0:13.7.0": ("power_factor", None),
    }
    return types.MappingProxyType({ObisCode.parse(k): v for k, v in table.items()})


#: OBIS code -> (Reading field, SI unit the value must carry), read-only.
READING_FIELDS = _reading_fields()
