"""National lists and maker conventions as data (research/dlms.md §4).

A frame says what it can: OBIS codes, and (Aidon, Austrian, Iskra lists) the scaler and unit
of every value. What it does not say comes from the :class:`Profile`:

* ``scalers``: the power-of-ten scaler by quantity when the frame carries no scaler-unit
  (Kamstrup: 0.01 A, 10 Wh in Norway/Denmark/Switzerland but Wh in Sweden; Kaifa: mA, dV).
* ``layouts``: for value-only lists (no OBIS in the frame) the OBIS code of each position,
  keyed by the number of elements of the list.
* ``list_ids`` / ``name_prefixes``: how a frame identifies itself (list version string,
  or the 3-letter FLAG manufacturer id that starts meter names and system titles).

``decode(..., profile="kamstrup-se")`` forces a profile; without it the profile is detected
from the frame, and ``generic`` (no assumed scaling) is used when nothing identifies the maker.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

__all__ = ["Profile", "PROFILES", "get_profile", "detect_profile", "GENERIC", "QUANTITIES"]

# quantity kinds a scaler can be set for (derived from the OBIS code, see interpret.py)
QUANTITIES = ("power", "energy", "current", "voltage", "power_factor", "frequency")


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    description: str
    scalers: Mapping[str, int] = field(default_factory=dict)
    layouts: Mapping[int | str, tuple[str | None, ...]] = field(default_factory=dict)
    list_ids: tuple[str, ...] = ()
    name_prefixes: tuple[str, ...] = ()
    source: str = ""


# Norwegian NVE list layouts of Kaifa KFM_001 (value-only). Source: roarfred/AmsToMqttBridge
# Samples/Kaifa obisdata.md and the Kaifa "KFM_001" HAN description; corpus entries
# kaifa-no-list{1,2,3}-*-2017-documented pin the positions.
_KAIFA_HEAD_3P = ("1-1:0.2.129.255", "0-0:96.1.0.255", "0-0:96.1.7.255", "1-0:1.7.0.255", "1-0:2.7.0.255",
                  "1-0:3.7.0.255", "1-0:4.7.0.255", "1-0:31.7.0.255", "1-0:51.7.0.255", "1-0:71.7.0.255",
                  "1-0:32.7.0.255", "1-0:52.7.0.255", "1-0:72.7.0.255")
_KAIFA_HEAD_1P = ("1-1:0.2.129.255", "0-0:96.1.0.255", "0-0:96.1.7.255", "1-0:1.7.0.255", "1-0:2.7.0.255",
                  "1-0:3.7.0.255", "1-0:4.7.0.255", "1-0:31.7.0.255", "1-0:32.7.0.255")
_KAIFA_TAIL = ("0-0:1.0.0.255", "1-0:1.8.0.255", "1-0:2.8.0.255", "1-0:3.8.0.255", "1-0:4.8.0.255")

GENERIC = Profile(
    "generic", "Any DLMS push: OBIS-keyed values scaled by their in-band scaler-unit only; a lone "
               "value without OBIS is NVE list 1 (active power import).",
    layouts={
        1: ("1-0:1.7.0.255",),
        # Austrian push (Wiener Netze, KELAG; Iskra AM550 and Sagemcom IM350 alike): the push
        # setup's name 0-6:25.9.0.255, then serial, time, date, A+, A-, R+, R-, P+, P-, 2 spare.
        # Sources: amsreader payloads/iskraemeco gh787 (KELAG); Noschvie/shrdzm Device_IM350.cpp
        # sample frames (IM350, AM550, Wiener Netze); positions confirmed by the meters' totals.
        "push-setup:12": (None, "0-0:96.1.0.255", None, None, "1-0:1.8.0.255", "1-0:2.8.0.255",
                          "1-0:3.8.0.255", "1-0:4.8.0.255", "1-0:1.7.0.255", "1-0:2.7.0.255", None, None),
        # the same list without the two spare elements (Linz/Wels IM350 in shrdzm's samples)
        "push-setup:10": (None, "0-0:96.1.0.255", None, None, "1-0:1.8.0.255", "1-0:2.8.0.255",
                          "1-0:3.8.0.255", "1-0:4.8.0.255", "1-0:1.7.0.255", "1-0:2.7.0.255"),
    },
    source="IEC 62056-6-1 OBIS; NVE/NEK HAN list 1 carries only 1-0:1.7.0.255; Austrian push layout")

PROFILES: dict[str, Profile] = {p.name: p for p in (
    GENERIC,
    Profile("aidon", "Aidon NO/SE lists: structure{OBIS, value, scaler-unit} - everything in-band.",
            list_ids=("AIDON_V0001",), name_prefixes=("AID",),
            source="Aidon RJ12 HAN interface description (Tekniska verken), NVE lists"),
    Profile("kamstrup", "Kamstrup_V0001 lists as sent in Norway, Denmark and Switzerland (default for "
                        "Kamstrup): energy in 10 Wh, currents and power factor in 0.01.",
            scalers={"energy": 1, "current": -2, "power_factor": -2, "power": 0, "voltage": 0},
            list_ids=("Kamstrup_V0001",), name_prefixes=("KAM",),
            source="Kamstrup HAN-NVE description; corpus kamstrup-omnipower-* notes (0.01 kWh, 0.01 A, 0.01 PF)"),
    Profile("kamstrup-se", "Kamstrup_V0001 lists as sent in Sweden: energy in Wh (amsreader issue #239).",
            scalers={"energy": 0, "current": -2, "power_factor": -2, "power": 0, "voltage": 0},
            source="UtilitechAS/amsreader-firmware#239 (Swedish Kamstrup Wh vs Norwegian 10 Wh)"),
    Profile("kaifa", "Kaifa KFM_001 lists (NO/SE/AT): currents in mA, voltages in dV, energy in Wh; the "
                     "Norwegian value-only lists 1/2/3 by position.",
            scalers={"current": -3, "voltage": -1, "power": 0, "energy": 0},
            layouts={1: ("1-0:1.7.0.255",), 9: _KAIFA_HEAD_1P, 13: _KAIFA_HEAD_3P,
                     14: _KAIFA_HEAD_1P + _KAIFA_TAIL, 18: _KAIFA_HEAD_3P + _KAIFA_TAIL},
            list_ids=("KFM_001",), name_prefixes=("KFM",),
            source="roarfred/AmsToMqttBridge Samples/Kaifa (KFM_001 list tables); amshan kaifa.py tests"),
    Profile("iskra", "Iskraemeco AM550/IE5: OBIS-keyed pushes (CH, AT) use in-band scaler-units or, "
                     "without them (CH VSE 2026), dV and 0.01 A; the Slovenian value-only pushes "
                     "(Elektro Ljubljana 5 s list of 18 values, 15 min energy list of 12, list of 9) "
                     "by position.",
            scalers={"voltage": -1, "current": -2, "power": 0, "energy": 0},
            layouts={
                18: ("0-0:42.0.0.255", "0-0:96.1.0.255", "1-0:1.7.0.255", "1-0:2.7.0.255", "1-0:3.7.0.255",
                     "1-0:4.7.0.255", "1-0:32.7.0.255", "1-0:52.7.0.255", "1-0:72.7.0.255", "1-0:31.7.0.255",
                     "1-0:51.7.0.255", "1-0:71.7.0.255", "1-0:21.7.0.255", "1-0:41.7.0.255", "1-0:61.7.0.255",
                     "1-0:22.7.0.255", "1-0:42.7.0.255", "1-0:62.7.0.255"),
                12: ("0-0:42.0.0.255", "0-0:96.1.0.255", None, None, "1-0:1.8.0.255", "1-0:1.8.1.255",
                     "1-0:1.8.2.255", "1-0:2.8.0.255", "1-0:2.8.1.255", "1-0:2.8.2.255", "1-0:3.8.0.255",
                     "1-0:4.8.0.255"),
                9: ("0-0:42.0.0.255", "0-0:96.1.0.255", "1-0:1.7.0.255", "1-0:2.7.0.255", "1-0:3.7.0.255",
                    "1-0:4.7.0.255", "1-0:32.7.0.255", None, None),
            },
            name_prefixes=("ISK",),
            source="amsreader-firmware payloads/iskra README (gh615, gh869, gh956) and issue threads; "
                   "positions confirmed by per-phase sums (P = P1+P2+P3, A+ = T1+T2)"),
    Profile("landisgyr", "Landis+Gyr E450/E570 pushes with a push object list (CH, VSE 2026) and without: "
                         "voltages in V, currents in 0.01 A, energy in Wh when the frame has no scaler; "
                         "Netz Burgenland value-only list of 14 by position.",
            scalers={"voltage": 0, "current": -2, "power": 0, "energy": 0},
            layouts={14: ("1-0:32.7.0.255", "1-0:52.7.0.255", "1-0:72.7.0.255", "1-0:31.7.0.255",
                          "1-0:51.7.0.255", "1-0:71.7.0.255", "1-0:1.7.0.255", "1-0:2.7.0.255",
                          "1-0:1.8.0.255", "1-0:2.8.0.255", None, None, None, "0-0:96.1.0.255")},
            name_prefixes=("LGZ",),
            source="scs/smartmeter-datacollector LGE450/LGE570 configs; amsreader issue #501 (Burgenland layout)"),
    Profile("landisgyr-e360", "Landis+Gyr E360 (CH, VSE 2026): like landisgyr but voltages in dV.",
            scalers={"voltage": -1, "current": -2, "power": 0, "energy": 0},
            source="scs/smartmeter-datacollector LGE360 config (VOLTAGE_L1 235.7 from raw 2357)"),
    Profile("sagemcom", "Sagemcom T210-D (AT) and XT211 (CZ): OBIS-keyed, scaler-unit in-band or none.",
            name_prefixes=("SAG",), source="IEC 62056-6-1"),
)}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown DLMS profile {name!r}; known: {', '.join(PROFILES)}") from None


def detect_profile(strings: list[str], system_title: bytes | None) -> Profile:
    """The profile a frame identifies itself with: list id first, then the FLAG prefix of a
    meter name or system title; ``generic`` when nothing matches."""
    for s in strings:
        for p in PROFILES.values():
            if s in p.list_ids:
                return p
    prefixes = [s[:3].upper() for s in strings if len(s) >= 3]
    if system_title:
        prefixes.append(system_title[:3].decode("latin-1", "replace").upper())
    for pre in prefixes:
        for p in PROFILES.values():
            if pre in p.name_prefixes:
                return p
    return GENERIC
