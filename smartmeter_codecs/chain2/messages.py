"""The Chain 2 message catalogue (CF1 ... CF51, Chain2Info, Chain2State) as typed values.

The classes are independent of the carrier: the Chain2Gate JSON layer (:mod:`.gateway_json`)
builds them from a ``Payload`` object, a future raw-frame decoder could build them from a PLC
frame. Each class lists its fields as data (:class:`FieldSpec`: JSON key, attribute, kind,
unit, description); ``from_payload`` and ``to_payload`` are driven by that table.

Sources of the field lists (see `docs/formats/chain2.md`): the real CF5/CF10/CF20
messages and the parsers in rcremasco/rochouse ``chain2/websock.py`` @cf2d41e (CF1, CF5, CF9,
CF10, CF20, CF21, CF22, CF23, CF51); r0bb10/chain2gate_ha (CF1, CF21, CF22 with
``AvailablePower`` and ``SwitchOffCountdownSeconds``); lmssdd/chain2gate (CF1, CF21 with
``EventPosixTimestamp``); MAC's cloud types (extended CF1 production/reactive fields, CF21
``ProdInstantPower``/``Gap``; the PascalCase JSON spelling of the extended CF1 keys is inferred
from the cloud's camelCase names).

Every payload field is optional (``None`` when absent): gateway firmware versions differ (the
two public CF22 parsers read different field sets). Keys the table does not know are kept, in
order, in ``extra`` so that nothing is lost and ``to_payload`` reproduces the input.

Units: energies Wh, powers W, integers as sent (Chain2Gate JSON; the HA integrations declare Wh
and W and the real values check out: CF20 3000/3300 W, CF5 12604 Wh/day). Units that no source
states (CF9 ``WeeklyVeff*``, ``OutageDuration``, ``PrepaidCredit``) are left ``None``.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, fields as dc_fields
from typing import Any, ClassVar, Iterator, Mapping

from ..errors import FramingError
from .datestring import DlmsDateTime

__all__ = [
    "FieldSpec", "Message", "CF1", "CF5", "CF9", "CF10", "CF20", "CF21", "CF22", "CF23", "CF51",
    "GenericMessage", "Chain2Info", "Chain2State", "MESSAGE_TYPES", "FIELD_INDEX",
    "message_from_payload", "catalogue_class", "parse_value", "format_value",
    "STRICT_KEYS", "TIMESTAMP_KEYS", "type_problem",
]

# Field kinds: how a JSON value is read and written back.
NUMBER = "number"   # JSON integer (or finite float), never a boolean
POSIX = "posix"     # Unix epoch seconds (UTC) -> aware UTC datetime
TEXT = "text"       # JSON string, kept exactly as sent (POD is space-padded to 16)
DATE = "date"       # DLMS-style date string -> DlmsDateTime
ANY = "any"         # any JSON value, kept as is (fields whose type no source shows)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One payload field: ``key`` as in the JSON, ``attr`` on the class, kind, unit, meaning."""

    key: str
    attr: str
    kind: str
    unit: str | None
    description: str


def _f(key: str, attr: str, kind: str, unit: str | None, description: str) -> FieldSpec:
    return FieldSpec(key, attr, kind, unit, description)


# ---- field tables ---------------------------------------------------------------------------

_MESSAGE_TS = _f("MessagePosixTimestamp", "message_time", POSIX, None,
                 "time the meter sent the message (epoch s, UTC)")
_MEASURE_TS = _f("MeasurePosixTimestamp", "measure_time", POSIX, None,
                 "time the values were measured/frozen (epoch s, UTC)")
_EVENT_TYPE = _f("EventType", "event_type", NUMBER, None, "event type (only 1 seen; meaning undocumented)")
_EVENT_TS = _f("EventPosixTimestamp", "event_time", POSIX, None, "time of the event (epoch s, UTC)")
_EVENTS_COUNTER = _f("EventsCounter", "events_counter", NUMBER, None, "per-event-type counter")
_EVENT_HEAD = (_MESSAGE_TS, _EVENT_TYPE, _EVENT_TS, _EVENTS_COUNTER)


def _bands(prefix: str, attr: str, what: str) -> tuple[FieldSpec, ...]:
    return tuple(_f(f"{prefix}F{n}", f"{attr}_f{n}", NUMBER, "Wh", f"{what}, tariff band F{n}")
                 for n in range(1, 7))


_CF1_FIELDS = (
    _MESSAGE_TS, _MEASURE_TS,
    _f("TariffCode", "tariff_code", NUMBER, None, "current tariff band n = Fn (1..6)"),
    _f("CurrQuartActEnergy", "curr_quart_act_energy", NUMBER, "Wh",
       "active energy imported, current quarter hour"),
    _f("PrevQuartActEnergy", "prev_quart_act_energy", NUMBER, "Wh",
       "active energy imported, previous quarter hour"),
    _f("InstantPower", "instant_power", NUMBER, "W", "instantaneous active power imported"),
    _f("QuartAveragePower", "quart_average_power", NUMBER, "W", "quarter-hour average active power imported"),
    _f("TotalActEnergy", "total_act_energy", NUMBER, "Wh", "cumulative active energy imported"),
    # extended CF1 (production = reverse direction / production meter; reactive), from MAC's
    # cloud types; JSON spelling inferred
    _f("InstantProdPower", "instant_prod_power", NUMBER, "W",
       "instantaneous active power, production direction"),
    _f("QuartAverageProdPower", "quart_average_prod_power", NUMBER, "W",
       "quarter-hour average active power, production direction"),
    _f("CurrQuartProdActEnergy", "curr_quart_prod_act_energy", NUMBER, "Wh",
       "active energy, production direction, current quarter hour"),
    _f("PrevQuartProdActEnergy", "prev_quart_prod_act_energy", NUMBER, "Wh",
       "active energy, production direction, previous quarter hour"),
    _f("TotalProdActEnergy", "total_prod_act_energy", NUMBER, "Wh",
       "cumulative active energy, production direction"),
    _f("CurrQuartInductiveReactEnergy", "curr_quart_inductive_react_energy", NUMBER, "varh",
       "inductive reactive energy, current quarter hour"),
    _f("PrevQuartInductiveReactEnergy", "prev_quart_inductive_react_energy", NUMBER, "varh",
       "inductive reactive energy, previous quarter hour"),
    _f("CurrQuartCapacitiveReactEnergy", "curr_quart_capacitive_react_energy", NUMBER, "varh",
       "capacitive reactive energy, current quarter hour"),
    _f("PrevQuartCapacitiveReactEnergy", "prev_quart_capacitive_react_energy", NUMBER, "varh",
       "capacitive reactive energy, previous quarter hour"),
    _f("CurrQuartInductiveProdReactEnergy", "curr_quart_inductive_prod_react_energy", NUMBER, "varh",
       "inductive reactive energy, production direction, current quarter hour"),
    _f("PrevQuartInductiveProdReactEnergy", "prev_quart_inductive_prod_react_energy", NUMBER, "varh",
       "inductive reactive energy, production direction, previous quarter hour"),
    _f("CurrQuartCapacitiveProdReactEnergy", "curr_quart_capacitive_prod_react_energy", NUMBER, "varh",
       "capacitive reactive energy, production direction, current quarter hour"),
    _f("PrevQuartCapacitiveProdReactEnergy", "prev_quart_capacitive_prod_react_energy", NUMBER, "varh",
       "capacitive reactive energy, production direction, previous quarter hour"),
    _f("TotalInductiveReactEnergy", "total_inductive_react_energy", NUMBER, "varh",
       "cumulative inductive reactive energy"),
    _f("TotalProdInductiveReactEnergy", "total_prod_inductive_react_energy", NUMBER, "varh",
       "cumulative inductive reactive energy, production direction"),
)

_CF5_FIELDS = (
    _MESSAGE_TS, _MEASURE_TS,
    *_bands("DailyTotalActEnergy", "daily_total_act_energy", "active energy imported during the day"),
    _f("DailyMaxInstantPower", "daily_max_instant_power", NUMBER, "W",
       "maximum instantaneous power of the day"),
    _f("DailyMaxInstantPowerDateTime", "daily_max_instant_power_time", DATE, None,
       "when the daily maximum occurred (meter local time)"),
    _f("PrepaidCredit", "prepaid_credit", NUMBER, None, "prepaid credit (unit undocumented)"),
    _f("DayType", "day_type", NUMBER, None, "day type (meaning undocumented)"),
)

_CF9_FIELDS = (
    _MESSAGE_TS, _MEASURE_TS,
    _f("WeeklyVeffMin", "weekly_veff_min", NUMBER, None, "weekly minimum RMS voltage (scaling undocumented)"),
    _f("WeeklyVeffMinDateTime", "weekly_veff_min_time", DATE, None, "when the weekly minimum occurred"),
    _f("WeeklyVeffMax", "weekly_veff_max", NUMBER, None, "weekly maximum RMS voltage (scaling undocumented)"),
    _f("WeeklyVeffMaxDateTime", "weekly_veff_max_time", DATE, None, "when the weekly maximum occurred"),
    _f("CounterVeffBetween10Percent", "counter_veff_between_10_percent", NUMBER, None,
       "count of intervals with Veff within +-10 %"),
    _f("CounterVeffUpto15NegPercent", "counter_veff_upto_15_neg_percent", NUMBER, None,
       "count of intervals with Veff between -10 % and -15 %"),
    _f("CounterVeffUpto15PosPercent", "counter_veff_upto_15_pos_percent", NUMBER, None,
       "count of intervals with Veff between +10 % and +15 %"),
    _f("CounterVeffOver15PosPercent", "counter_veff_over_15_pos_percent", NUMBER, None,
       "count of intervals with Veff above +15 %"),
    _f("CounterVeffUnder15NegPercent", "counter_veff_under_15_neg_percent", NUMBER, None,
       "count of intervals with Veff below -15 %"),
)

_CF10_FIELDS = (
    _MESSAGE_TS, _MEASURE_TS,
    *_bands("MonthlyTotalActEnergy", "monthly_total_act_energy",
            "active energy imported in the billing period"),
    _f("MonthlyMaxQuartAveragePower", "monthly_max_quart_average_power", NUMBER, "W",
       "maximum quarter-hour average power of the billing period"),
    _f("MonthlyMaxQuartAveragePowerDateTime", "monthly_max_quart_average_power_time", DATE, None,
       "when the monthly maximum occurred (meter local time)"),
    _f("ClosingCode", "closing_code", NUMBER, None, "closure code (meaning undocumented)"),
)

_CF20_FIELDS = (
    *_EVENT_HEAD,
    _f("CustomerCode", "customer_code", TEXT, None, "customer code ('Non Disponibile' = not available)"),
    _f("POD", "pod", TEXT, None, "point of delivery (POD), space-padded to 16 characters"),
    _f("PESSE", "pesse", NUMBER, None,
       "PESSE emergency load-shedding group (meaning of values undocumented)"),
    _f("Vendor", "vendor", TEXT, None, "energy seller ('Non Disponibile' = not available)"),
    _f("Phone", "phone", TEXT, None, "seller phone ('Non Disponibile' = not available)"),
    _f("StartContract", "start_contract", DATE, None, "contract start date"),
    _f("ContractPower", "contract_power", NUMBER, "W", "contracted power (potenza impegnata)"),
    _f("AvailablePower", "available_power", NUMBER, "W",
       "available power (limiter threshold, contracted + 10 %)"),
    _f("FreezingDay", "freezing_day", DATE, None, "billing freeze day (usually day 1 of every month)"),
    _f("Gap", "gap", NUMBER, "W", "power step that triggers CF21/CF51 threshold-crossing messages"),
    _f("DataPlate", "data_plate", TEXT, None, "meter nameplate serial number (matricola)"),
    _f("K", "k", NUMBER, None, "K (meaning undocumented)"),
)

_CF21_FIELDS = (
    *_EVENT_HEAD,
    _f("InstantPower", "instant_power", NUMBER, "W", "instantaneous active power imported"),
    _f("ProdInstantPower", "prod_instant_power", NUMBER, "W",
       "instantaneous active power, production direction"),
    _f("Gap", "gap", NUMBER, "W", "power step that triggered the message"),
)

_CF22_FIELDS = (
    *_EVENT_HEAD,
    _f("InstantPower", "instant_power", NUMBER, "W", "instantaneous active power imported"),
    _f("AvailablePower", "available_power", NUMBER, "W", "available power that is being exceeded"),
    _f("SwitchOffCountdownSeconds", "switch_off_countdown", NUMBER, "s",
       "seconds until the limiter opens the supply"),
    _f("OutageDuration", "outage_duration", NUMBER, None,
       "duration (field read by one parser only; unit undocumented)"),
)

_CF23_FIELDS = (
    *_EVENT_HEAD,
    _f("OutageDuration", "outage_duration", NUMBER, None,
       "supply interruption duration (unit undocumented, probably s)"),
)

_CF51_FIELDS = (
    *_EVENT_HEAD,
    _f("InstantPower", "instant_power", NUMBER, "W", "instantaneous active power imported"),
    _f("ProdInstantPower", "prod_instant_power", NUMBER, "W",
       "instantaneous active power, production direction"),
    _f("Gap", "gap", NUMBER, "W", "power step that triggered the message"),
)

_INFO_FIELDS = (
    _f("Id", "id", TEXT, None, "gateway id, e.g. 'c2g-8E70E3154' (also its mDNS host name)"),
    _f("Ip", "ip", TEXT, None, "gateway IP address"),
    _f("Ssid", "ssid", TEXT, None, "Wi-Fi network"),
    _f("ProgId", "prog_id", ANY, None, "firmware/program id"),
    _f("DU", "du", ANY, None, "user-device (DU) identifier"),
    _f("CFcountFromBoot", "cf_count_from_boot", NUMBER, None, "Chain 2 messages received since boot"),
)


# ---- which fields are strict ------------------------------------------------------------------

#: Keys whose value is the measurement time, in order of preference (mapping.py reads them).
TIMESTAMP_KEYS = ("MeasurePosixTimestamp", "EventPosixTimestamp", "MessagePosixTimestamp")

#: Keys whose values feed the Reading's fields (mapping.py: power, energy, contracted and
#: available power, tariff, meter id, timestamp). A value of the wrong JSON type there is a
#: FramingError naming the field: a wallbox must not get a Reading without the power it asked
#: for and no error. Every other field is lenient (issue 9 item 6): a value of an unexpected
#: JSON type (e.g. a numeric ``CustomerCode``) is kept as sent in ``extra`` and becomes a raw
#: register that says so, and the rest of the message still decodes.
STRICT_KEYS: frozenset[str] = frozenset({
    "InstantPower", "TotalActEnergy", "ContractPower", "AvailablePower", "TariffCode", "DataPlate",
    *TIMESTAMP_KEYS,
})


# ---- value conversion -----------------------------------------------------------------------

# Meter registers are at most 64-bit; larger JSON integers are not meter values (and would
# overflow float conversion).
_MAX_INT = 2**64


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}{'...' if len(text) > 40 else ''}"


def parse_value(spec: FieldSpec, value: Any, where: str) -> Any:
    """Check and convert one JSON value by its field kind; FramingError names ``where``."""
    if value is None:
        return None
    kind = spec.kind
    if kind == ANY:
        return value
    if kind == TEXT:
        if not isinstance(value, str):
            raise FramingError("chain2-payload", None, f"{where}: expected a string, got {_describe(value)}")
        return value
    if kind == DATE:
        if not isinstance(value, str):
            raise FramingError("chain2-payload", None,
                               f"{where}: expected a DLMS date string, got {_describe(value)}")
        return DlmsDateTime.parse(value, field=where)
    # NUMBER and POSIX
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        unit = f" ({spec.unit})" if spec.unit else ""
        raise FramingError("chain2-payload", None,
                           f"{where}: expected a number{unit}, got {_describe(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise FramingError("chain2-payload", None, f"{where}: expected a finite number, got {value}")
    if isinstance(value, int) and abs(value) > _MAX_INT:
        raise FramingError("chain2-payload", None,
                           f"{where}: a {value.bit_length()}-bit integer is out of range for a meter value")
    if kind == POSIX:
        try:
            return dt.datetime.fromtimestamp(value, dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise FramingError("chain2-payload", None,
                               f"{where}: {value} is not a representable Unix time") from None
    return value


def type_problem(key: str, value: Any) -> str | None:
    """Why ``value`` cannot be the catalogue field ``key`` (the FramingError text), or None
    when it can or when ``key`` is not a catalogue field."""
    spec = FIELD_INDEX.get(key)
    if spec is None or value is None:
        return None
    try:
        parse_value(spec, value, key)
    except FramingError as err:
        return err.message
    return None


def format_value(spec: FieldSpec, value: Any) -> Any:
    """The JSON value of a parsed field (inverse of :func:`parse_value`)."""
    if value is None:
        return None
    if spec.kind == POSIX:
        seconds = (value - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) / dt.timedelta(seconds=1)
        return int(seconds) if seconds == int(seconds) else seconds
    if spec.kind == DATE:
        return str(value)
    return value


# ---- the message classes ----------------------------------------------------------------------

class Message:
    """Behaviour shared by every catalogue class (each one is a frozen dataclass)."""

    __slots__ = ()

    TYPE: ClassVar[str] = ""
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()
    DESCRIPTION: ClassVar[str] = ""

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> "Message":
        """Build from a JSON ``Payload`` object.

        A value of the wrong kind is a FramingError for the :data:`STRICT_KEYS`; in any other
        field it is kept as sent in ``extra`` (uninterpreted) and the message still builds.
        """
        known = {s.key: s for s in cls.FIELDS}
        values: dict[str, Any] = {}
        extra = []
        for key, value in payload.items():
            spec = known.get(key)
            if spec is None:
                extra.append((key, value))
                continue
            try:
                values[spec.attr] = parse_value(spec, value, f"{cls.TYPE or 'payload'}.{key}")
            except FramingError:
                if key in STRICT_KEYS:
                    raise
                extra.append((key, value))     # lenient: kept as sent (issue 9 item 6)
        return cls(**values, extra=tuple(extra))  # type: ignore[call-arg]

    def to_payload(self) -> dict[str, Any]:
        """The JSON ``Payload`` object: known fields in table order, then ``extra`` keys."""
        out: dict[str, Any] = {}
        for spec in self.FIELDS:
            value = getattr(self, spec.attr)
            if value is not None:
                out[spec.key] = format_value(spec, value)
        for key, value in getattr(self, "extra", ()):
            out[key] = value
        return out

    def items(self) -> Iterator[tuple[str, FieldSpec | None, Any, Any]]:
        """``(key, spec, json_value, parsed_value)`` for every field present, in payload order
        of the table then ``extra`` (extra keys are interpreted via :data:`FIELD_INDEX`)."""
        spec: FieldSpec | None
        for spec in self.FIELDS:
            value = getattr(self, spec.attr)
            if value is not None:
                yield spec.key, spec, format_value(spec, value), value
        for key, value in getattr(self, "extra", ()):
            spec = FIELD_INDEX.get(key)
            if spec is not None and value is not None:
                try:
                    yield key, spec, value, parse_value(spec, value, f"{self.TYPE}.{key}")
                    continue
                except FramingError:
                    if key in STRICT_KEYS:   # it would feed a Reading field: strict everywhere
                        raise
                    # an unexpected type in a field no Reading value comes from: kept as sent
            yield key, None, value, value


def _check_table(cls: type) -> type:
    """Class decorator: every FieldSpec.attr must be a dataclass field (tables are data)."""
    names = {f.name for f in dc_fields(cls)}
    missing = [s.attr for s in cls.FIELDS if s.attr not in names]  # type: ignore[attr-defined]
    if missing or "extra" not in names:
        raise TypeError(f"{cls.__name__}: table attrs without a field: {missing}")
    return cls


@_check_table
@dataclass(frozen=True, slots=True)
class CF1(Message):
    """Quarter-hour frame ("trama quartoraria"), every 15 minutes."""

    TYPE: ClassVar[str] = "CF1"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = _CF1_FIELDS
    DESCRIPTION: ClassVar[str] = "quarter-hour frame: power, energy, tariff band"

    message_time: dt.datetime | None = None
    measure_time: dt.datetime | None = None
    tariff_code: int | None = None
    curr_quart_act_energy: int | float | None = None
    prev_quart_act_energy: int | float | None = None
    instant_power: int | float | None = None
    quart_average_power: int | float | None = None
    total_act_energy: int | float | None = None
    instant_prod_power: int | float | None = None
    quart_average_prod_power: int | float | None = None
    curr_quart_prod_act_energy: int | float | None = None
    prev_quart_prod_act_energy: int | float | None = None
    total_prod_act_energy: int | float | None = None
    curr_quart_inductive_react_energy: int | float | None = None
    prev_quart_inductive_react_energy: int | float | None = None
    curr_quart_capacitive_react_energy: int | float | None = None
    prev_quart_capacitive_react_energy: int | float | None = None
    curr_quart_inductive_prod_react_energy: int | float | None = None
    prev_quart_inductive_prod_react_energy: int | float | None = None
    curr_quart_capacitive_prod_react_energy: int | float | None = None
    prev_quart_capacitive_prod_react_energy: int | float | None = None
    total_inductive_react_energy: int | float | None = None
    total_prod_inductive_react_energy: int | float | None = None
    extra: tuple[tuple[str, Any], ...] = ()


@_check_table
@dataclass(frozen=True, slots=True)
class CF5(Message):
    """Daily closure: the day's energy per tariff band and the day's maximum power."""

    TYPE: ClassVar[str] = "CF5"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = _CF5_FIELDS
    DESCRIPTION: ClassVar[str] = "daily closure: energy per band F1..F6, daily maximum power"

    message_time: dt.datetime | None = None
    measure_time: dt.datetime | None = None
    daily_total_act_energy_f1: int | float | None = None
    daily_total_act_energy_f2: int | float | None = None
    daily_total_act_energy_f3: int | float | None = None
    daily_total_act_energy_f4: int | float | None = None
    daily_total_act_energy_f5: int | float | None = None
    daily_total_act_energy_f6: int | float | None = None
    daily_max_instant_power: int | float | None = None
    daily_max_instant_power_time: DlmsDateTime | None = None
    prepaid_credit: int | float | None = None
    day_type: int | float | None = None
    extra: tuple[tuple[str, Any], ...] = ()


@_check_table
@dataclass(frozen=True, slots=True)
class CF9(Message):
    """Weekly voltage-quality statistics (RMS voltage extremes and band counters)."""

    TYPE: ClassVar[str] = "CF9"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = _CF9_FIELDS
    DESCRIPTION: ClassVar[str] = "weekly voltage statistics"

    message_time: dt.datetime | None = None
    measure_time: dt.datetime | None = None
    weekly_veff_min: int | float | None = None
    weekly_veff_min_time: DlmsDateTime | None = None
    weekly_veff_max: int | float | None = None
    weekly_veff_max_time: DlmsDateTime | None = None
    counter_veff_between_10_percent: int | float | None = None
    counter_veff_upto_15_neg_percent: int | float | None = None
    counter_veff_upto_15_pos_percent: int | float | None = None
    counter_veff_over_15_pos_percent: int | float | None = None
    counter_veff_under_15_neg_percent: int | float | None = None
    extra: tuple[tuple[str, Any], ...] = ()


@_check_table
@dataclass(frozen=True, slots=True)
class CF10(Message):
    """Monthly closure (billing freeze): energy per band and the maximum quarter-hour power."""

    TYPE: ClassVar[str] = "CF10"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = _CF10_FIELDS
    DESCRIPTION: ClassVar[str] = "monthly (billing) closure: energy per band F1..F6, maximum power"

    message_time: dt.datetime | None = None
    measure_time: dt.datetime | None = None
    monthly_total_act_energy_f1: int | float | None = None
    monthly_total_act_energy_f2: int | float | None = None
    monthly_total_act_energy_f3: int | float | None = None
    monthly_total_act_energy_f4: int | float | None = None
    monthly_total_act_energy_f5: int | float | None = None
    monthly_total_act_energy_f6: int | float | None = None
    monthly_max_quart_average_power: int | float | None = None
    monthly_max_quart_average_power_time: DlmsDateTime | None = None
    closing_code: int | float | None = None
    extra: tuple[tuple[str, Any], ...] = ()


@_check_table
@dataclass(frozen=True, slots=True)
class CF20(Message):
    """Contract and identification data (event): POD, meter serial, contracted/available power."""

    TYPE: ClassVar[str] = "CF20"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = _CF20_FIELDS
    DESCRIPTION: ClassVar[str] = "contract/identity: POD, serial, contracted and available power"

    message_time: dt.datetime | None = None
    event_type: int | float | None = None
    event_time: dt.datetime | None = None
    events_counter: int | float | None = None
    customer_code: str | None = None
    pod: str | None = None
    pesse: int | float | None = None
    vendor: str | None = None
    phone: str | None = None
    start_contract: DlmsDateTime | None = None
    contract_power: int | float | None = None
    available_power: int | float | None = None
    freezing_day: DlmsDateTime | None = None
    gap: int | float | None = None
    data_plate: str | None = None
    k: int | float | None = None
    extra: tuple[tuple[str, Any], ...] = ()


@_check_table
@dataclass(frozen=True, slots=True)
class CF21(Message):
    """Power-step crossing: sent when the instantaneous power crosses a multiple of ``Gap`` W."""

    TYPE: ClassVar[str] = "CF21"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = _CF21_FIELDS
    DESCRIPTION: ClassVar[str] = "power-step crossing (every Gap W, 300 W in the real CF20)"

    message_time: dt.datetime | None = None
    event_type: int | float | None = None
    event_time: dt.datetime | None = None
    events_counter: int | float | None = None
    instant_power: int | float | None = None
    prod_instant_power: int | float | None = None
    gap: int | float | None = None
    extra: tuple[tuple[str, Any], ...] = ()


@_check_table
@dataclass(frozen=True, slots=True)
class CF22(Message):
    """Available power exceeded: the limiter will open after ``SwitchOffCountdownSeconds``."""

    TYPE: ClassVar[str] = "CF22"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = _CF22_FIELDS
    DESCRIPTION: ClassVar[str] = "available power exceeded: countdown to switch-off"

    message_time: dt.datetime | None = None
    event_type: int | float | None = None
    event_time: dt.datetime | None = None
    events_counter: int | float | None = None
    instant_power: int | float | None = None
    available_power: int | float | None = None
    switch_off_countdown: int | float | None = None
    outage_duration: int | float | None = None
    extra: tuple[tuple[str, Any], ...] = ()


@_check_table
@dataclass(frozen=True, slots=True)
class CF23(Message):
    """Supply interruption ("interruzione servizio elettrico")."""

    TYPE: ClassVar[str] = "CF23"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = _CF23_FIELDS
    DESCRIPTION: ClassVar[str] = "supply interruption"

    message_time: dt.datetime | None = None
    event_type: int | float | None = None
    event_time: dt.datetime | None = None
    events_counter: int | float | None = None
    outage_duration: int | float | None = None
    extra: tuple[tuple[str, Any], ...] = ()


@_check_table
@dataclass(frozen=True, slots=True)
class CF51(Message):
    """Power-threshold crossing ("attraversamento soglia potenza"), the newer form of CF21."""

    TYPE: ClassVar[str] = "CF51"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = _CF51_FIELDS
    DESCRIPTION: ClassVar[str] = "power-threshold crossing"

    message_time: dt.datetime | None = None
    event_type: int | float | None = None
    event_time: dt.datetime | None = None
    events_counter: int | float | None = None
    instant_power: int | float | None = None
    prod_instant_power: int | float | None = None
    gap: int | float | None = None
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class GenericMessage(Message):
    """A ``Type`` this catalogue does not list: every field kept; well-known keys interpreted."""

    type_code: str = ""
    extra: tuple[tuple[str, Any], ...] = ()

    DESCRIPTION: ClassVar[str] = "message type not in the catalogue"

    @property
    def TYPE(self) -> str:  # type: ignore[override]  # per instance, not per class
        return self.type_code

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any],
                     type_code: str = "") -> "GenericMessage":
        return cls(type_code=type_code, extra=tuple(payload.items()))


@_check_table
@dataclass(frozen=True, slots=True)
class Chain2Info(Message):
    """The gateway's greeting (sent after a client connects and sends ``"!"``)."""

    TYPE: ClassVar[str] = "Chain2Info"
    FIELDS: ClassVar[tuple[FieldSpec, ...]] = _INFO_FIELDS
    DESCRIPTION: ClassVar[str] = "gateway information"

    id: str | None = None
    ip: str | None = None
    ssid: str | None = None
    prog_id: Any = None
    du: Any = None
    cf_count_from_boot: int | float | None = None
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Chain2State(Message):
    """Gateway state object; its content is undocumented, so every field is kept as sent."""

    TYPE: ClassVar[str] = "Chain2State"
    DESCRIPTION: ClassVar[str] = "gateway state (content undocumented)"

    extra: tuple[tuple[str, Any], ...] = ()


#: Type code -> class, for the ``Type`` of a ``Chain2Data`` envelope.
MESSAGE_TYPES: dict[str, type[Message]] = {
    c.TYPE: c for c in (CF1, CF5, CF9, CF10, CF20, CF21, CF22, CF23, CF51)
}

#: JSON key -> FieldSpec over every table (a key means the same in every message type).
FIELD_INDEX: dict[str, FieldSpec] = {}
for _cls in (*MESSAGE_TYPES.values(), Chain2Info):
    for _spec in _cls.FIELDS:  # type: ignore[attr-defined]
        FIELD_INDEX.setdefault(_spec.key, _spec)
del _cls, _spec


def catalogue_class(type_code: str) -> type[Message] | None:
    """The class for a ``Type`` code (case-insensitive: ``"cf1"`` as in ``/getcf.json?type=cf1``)."""
    return MESSAGE_TYPES.get(type_code) or MESSAGE_TYPES.get(type_code.strip().upper())


def message_from_payload(type_code: str, payload: Mapping[str, Any]) -> Message:
    """The catalogue class for ``type_code`` built from ``payload`` (GenericMessage if unknown)."""
    cls = catalogue_class(type_code)
    if cls is None:
        return GenericMessage.from_payload(payload, type_code)
    return cls.from_payload(payload)
