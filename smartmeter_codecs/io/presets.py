"""Serial settings by format and country, as data (docs/live.md prints this table).

Each preset names the line settings a meter's customer port uses, the format it pushes, how
often it pushes (the simulator's default cadence) and where the fact comes from. A preset is
only a starting point: every field can be overridden (``--baud``, ``--parity``...), and where
sources disagree the note says so.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

__all__ = ["SerialPreset", "PRESETS", "get_preset"]


@dataclass(frozen=True, slots=True)
class SerialPreset:
    """Line settings of one kind of meter port.

    Attributes:
        name: the preset name (``"no-han"``, ``"dsmr5"``...).
        format: the format name the port pushes (``None``: detect it).
        baudrate: bits per second.
        bytesize: data bits (7 or 8).
        parity: ``"N"`` none, ``"E"`` even, ``"O"`` odd.
        stopbits: 1 or 2.
        countries: ISO 3166 codes where the preset applies.
        meters: meters known to use it.
        interval: how often the meter pushes (the simulator's default cadence).
        source: where the settings come from.
        note: caveats (disagreeing sources, request lines, polling).
    """

    name: str
    format: str | None
    baudrate: int
    bytesize: int
    parity: str
    stopbits: int
    countries: tuple[str, ...]
    meters: str
    interval: _dt.timedelta
    source: str
    note: str = ""

    @property
    def settings(self) -> str:
        """The usual short notation, e.g. ``"2400 8E1"``."""
        return f"{self.baudrate} {self.bytesize}{self.parity}{self.stopbits}"

    def serial_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``serial.Serial`` (pyserial spells parity and stop bits alike)."""
        return {"baudrate": self.baudrate, "bytesize": self.bytesize, "parity": self.parity,
                "stopbits": self.stopbits}


def _s(seconds: float) -> _dt.timedelta:
    return _dt.timedelta(seconds=seconds)


_M_BUS = "EN 13757-2 physical layer: 11-bit characters, 8 data bits, even parity, 1 stop bit"

_TABLE = (
    # --- Norway: the HAN port is the M-Bus physical layer (slave side) carrying HDLC/DLMS
    SerialPreset("no-han", "dlms", 2400, 8, "E", 1, ("NO",), "Aidon, Kaifa (any NO HAN meter but Kamstrup)",
                 _s(2.5), f"NVE/NEK HAN: M-Bus slave port, 2400 baud; {_M_BUS}",
                 "Kamstrup sends without parity: use no-han-kamstrup (8E1 on an 8N1 line gives "
                 "garbage frames, amsreader-firmware issues 355/362)"),
    SerialPreset("no-han-aidon", "dlms", 2400, 8, "E", 1, ("NO", "SE"), "Aidon 6515/6525/6534/6540/6550",
                 _s(2.5), "Aidon HAN interface description (NEK): 2400 baud 8E1, list 1 every 2.5 s"),
    SerialPreset("no-han-kaifa", "dlms", 2400, 8, "E", 1, ("NO", "SE"), "Kaifa MA105H2E, MA304H3E/H4/T3/T4",
                 _s(2.0), "roarfred/AmsToMqttBridge Samples README: 'Kaifa uses even parity (2400 8E1)'"),
    SerialPreset("no-han-kamstrup", "dlms", 2400, 8, "N", 1, ("NO", "SE"), "Kamstrup Omnipower 6841/6851/6861",
                 _s(10.0), "roarfred/AmsToMqttBridge Samples README: 'Kamstrup use No parity (2400 8N1)'; "
                 "amsreader-firmware issues 355/362 (8E1 gives garbage)"),
    # --- Sweden: the HAN port of the branschrekommendation is P1 (RJ12); older M-Bus ports as NO
    SerialPreset("se-han", "p1", 115200, 8, "N", 1, ("SE",), "any meter with the Swedish RJ12 HAN port",
                 _s(10.0), "hanporten.se docs/svenska/protokollet.md; Aidon HAN interface v1.7A section 3.4",
                 "Swedish meters with an RJ45 M-Bus HAN port push DLMS like Norway: use no-han-aidon, "
                 "no-han-kaifa or no-han-kamstrup"),
    # --- Denmark
    SerialPreset("dk-han", "dlms", 2400, 8, "N", 1, ("DK",), "Kamstrup Omnipower (encrypted: -k/-a keys "
                 "from the grid company)", _s(10.0),
                 "amsreader-firmware issue 339: Danish Kamstrup frames decode only at 8N1",
                 "other Danish HAN meters: use --baud 2400 --parity E"),
    SerialPreset("dk-mep", "osgp-mep", 9600, 8, "N", 1, ("DK",), "Echelon/Networked Energy Services "
                 "83331-83334 (MEP port)", _s(1.0),
                 "OSGP MEP Client Developer's Guide ch. 2: default 9600 baud; dabbler MEP client 8N1",
                 "parity is not in the guide: ehorvat1/NES-MEP-Reader says 8E1 and the openHAB optical "
                 "binding uses even parity; MEP is request/response: a listening reader receives nothing "
                 "unless a MEP client polls"),
    # --- Austria: two customer interfaces
    SerialPreset("at-mbus", "dlms", 2400, 8, "E", 1, ("AT",), "Kaifa MA309M/MA110M (TINETZ, Salzburg Netz, "
                 "Vorarlberg), Sagemcom T210-D and L+G E450 (Netz NOe/EVN)", _s(5.0),
                 f"TINETZ and Netz NOe customer interface descriptions: DLMS in EN 13757-2 long frames "
                 f"every ~5 s at 2400 baud; {_M_BUS}",
                 "encrypted: -k with the key from the grid company"),
    SerialPreset("at-p1", "p1", 115200, 8, "N", 1, ("AT",), "Sagemcom T210-D-r with a P1 port "
                 "(e.g. Energienetze Steiermark)", _s(10.0),
                 "DSMR v5.0.2 P1 Companion Standard section 6.1 settings; the telegram may be inside "
                 "DLMS ciphering"),
    # --- Benelux: DSMR P1
    SerialPreset("lu-p1", "p1", 115200, 8, "N", 1, ("LU",), "Smarty (Sagemcom T210-D-r)", _s(10.0),
                 "Luxembourg Smarty P1 spec v1.1.3 section 3.2",
                 "data request line active LOW; telegrams are AES-GCM ciphered: -k with the key"),
    SerialPreset("dsmr5", "p1", 115200, 8, "N", 1, ("NL", "BE"), "DSMR 5.0.x and e-MUCS (Fluvius) meters",
                 _s(1.0), "DSMR v5.0.2 P1 Companion Standard section 6.1"),
    SerialPreset("dsmr4", "p1", 115200, 8, "N", 1, ("NL",), "DSMR 4.0-4.2.2 meters", _s(10.0),
                 "DSMR v4.2.2 P1 Companion Standard section 6",
                 "dsmr_parser uses 7E1 here; the standard says 8N1, as homebridge-p1 issue 50 confirms"),
    SerialPreset("dsmr22", "p1", 9600, 7, "E", 1, ("NL",), "DSMR 2.2 and 3.0 meters", _s(10.0),
                 "DSMR v3.0 P1 Companion Standard sections 5.1-5.2 (9600 bps); 7E1 as dsmr_parser "
                 "SERIAL_SETTINGS_V2_2"),
    # --- Germany and wired M-Bus
    SerialPreset("sml", "sml", 9600, 8, "N", 1, ("DE",), "eHZ/EDL21 meters, optical IR head (D0 interface)",
                 _s(1.0), "9600 baud 8N1 on the IR head, as in the smartmeter-obis SML tests",
                 "some D0 ports send IEC 62056-21 text at 9600 7E1 instead (eBZ DD3, "
                 "node-red-contrib-smartmeter issue 41)"),
    SerialPreset("mbus", "mbus", 2400, 8, "E", 1, (), "wired M-Bus meters behind a level converter",
                 _s(10.0), f"EN 13757-2: 2400 baud is the common default; {_M_BUS}",
                 "a wired M-Bus slave answers only when polled (REQ_UD2): the reader listens, so put "
                 "a master or a pushing meter on the line"),
)

PRESETS: Mapping[str, SerialPreset] = MappingProxyType({p.name: p for p in _TABLE})
"""Every preset by name (read-only)."""


def get_preset(name: str) -> SerialPreset:
    """The preset called ``name``; ``ValueError`` listing the known names otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown serial preset {name!r}; known: {', '.join(PRESETS)}") from None
