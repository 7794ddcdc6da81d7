"""EN 13757-3 value information tables (VIF, VIFE): data, not code paths.

Sources: EN 13757-3:2018 clause 6.4 (cross-checked against the tables of the exmbus decoder,
which cites the same edition) (Table 10 primary VIF codes, Table 12 first extension
table "FB", Table 14 second extension table "FD", Table 15 combinable (orthogonal) VIFE codes,
Table 16 extension of combinable VIFE codes "7C"). Each range row gives the code range, a
stable key, a description, the base SI unit and how the last bits scale the raw value.

Scaling rules (column ``rule``):

* ``("exp", e0)``: value = raw * 10**(n + e0) where n = code - first code of the range,
* ``("time",)``: n selects seconds/minutes/hours/days (factor 1, 60, 3600, 86400 s);
  ``("time", k)``: the same, starting at unit k (FD 31-33 "duration of tariff", nn = 01..11 =
  minutes..days: 31 is minutes, not seconds; FD 30 is the tariff start date),
* ``("time_h",)``: n selects hours/days/months/years (months and years are kept in their own unit),
* ``("fixed", e)``: value = raw * 10**e.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "APPLICATION_ERRORS",
    "FUNCTIONS",
    "MEDIUM",
    "TIME_UNITS",
    "Combinable",
    "VifInfo",
    "lookup_combinable",
    "lookup_combinable_ext",
    "lookup_fb",
    "lookup_fd",
    "lookup_primary",
]


@dataclass(frozen=True, slots=True)
class VifInfo:
    """What a VIF (or FB/FD extension code) means.

    Attributes:
        key: stable snake_case quantity name (``"energy"``, ``"volume"``, ``"voltage"``...).
        description: human-readable name.
        unit: base unit of the scaled value (``None`` for identifiers/bit fields/text).
        exponent: power of ten applied to the raw value.
        factor: integer factor applied to the raw value (time units).
        kind: ``"number"``, ``"date"`` (type G/F/I/J by length), ``"id"`` (identifier,
            kept unscaled), ``"bits"`` (unsigned bit field), ``"text"`` or ``"reserved"``.
    """

    key: str
    description: str
    unit: str | None
    exponent: int = 0
    factor: int = 1
    kind: str = "number"


# time unit selectors, EN 13757-3 Table 10 footnote: nn = 00 s, 01 min, 10 h, 11 d
TIME_UNITS = (("s", 1), ("min", 60), ("h", 3600), ("d", 86400))
# pp for FD 68-6F: 00 hours, 01 days, 10 months, 11 years
_TIME_H = ((3600, "s"), (86400, "s"), (1, "month"), (1, "year"))

Rule = tuple[Any, ...]
Row = tuple[int, int, str, str, "str | None", Rule, str]

# --- EN 13757-3:2018 Table 10: primary VIF (extension bit removed) ---------------------------
PRIMARY: tuple[Row, ...] = (
    (0x00, 0x07, "energy", "Energy", "Wh", ("exp", -3), "number"),
    (0x08, 0x0F, "energy_j", "Energy", "J", ("exp", 0), "number"),
    (0x10, 0x17, "volume", "Volume", "m3", ("exp", -6), "number"),
    (0x18, 0x1F, "mass", "Mass", "kg", ("exp", -3), "number"),
    (0x20, 0x23, "on_time", "On time", "s", ("time",), "number"),
    (0x24, 0x27, "operating_time", "Operating time", "s", ("time",), "number"),
    (0x28, 0x2F, "power", "Power", "W", ("exp", -3), "number"),
    (0x30, 0x37, "power_j", "Power", "J/h", ("exp", 0), "number"),
    (0x38, 0x3F, "volume_flow", "Volume flow", "m3/h", ("exp", -6), "number"),
    (0x40, 0x47, "volume_flow_min", "Volume flow", "m3/min", ("exp", -7), "number"),
    (0x48, 0x4F, "volume_flow_s", "Volume flow", "m3/s", ("exp", -9), "number"),
    (0x50, 0x57, "mass_flow", "Mass flow", "kg/h", ("exp", -3), "number"),
    (0x58, 0x5B, "flow_temperature", "Flow temperature", "°C", ("exp", -3), "number"),
    (0x5C, 0x5F, "return_temperature", "Return temperature", "°C", ("exp", -3), "number"),
    (0x60, 0x63, "temperature_difference", "Temperature difference", "K", ("exp", -3), "number"),
    (0x64, 0x67, "external_temperature", "External temperature", "°C", ("exp", -3), "number"),
    (0x68, 0x6B, "pressure", "Pressure", "bar", ("exp", -3), "number"),
    (0x6C, 0x6C, "date", "Time point (date)", None, ("fixed", 0), "date"),
    (0x6D, 0x6D, "datetime", "Time point (date and time)", None, ("fixed", 0), "date"),
    (0x6E, 0x6E, "hca_units", "Units for heat cost allocator", "HCA", ("fixed", 0), "number"),
    (0x6F, 0x6F, "reserved", "Reserved VIF 6F (third extension table)", None, ("fixed", 0), "reserved"),
    (0x70, 0x73, "averaging_duration", "Averaging duration", "s", ("time",), "number"),
    (0x74, 0x77, "actuality_duration", "Actuality duration", "s", ("time",), "number"),
    (0x78, 0x78, "fabrication_no", "Fabrication number", None, ("fixed", 0), "id"),
    (0x79, 0x79, "enhanced_id", "Enhanced identification", None, ("fixed", 0), "id"),
    (0x7A, 0x7A, "bus_address", "Bus address", None, ("fixed", 0), "id"),
    (0x7B, 0x7B, "reserved", "Reserved VIF 7B without extension", None, ("fixed", 0), "reserved"),
    (0x7C, 0x7C, "plain_text", "Plain-text unit", None, ("fixed", 0), "number"),
    (0x7D, 0x7D, "reserved", "Reserved VIF 7D without extension", None, ("fixed", 0), "reserved"),
    (0x7E, 0x7E, "any", "Any VIF (readout selection)", None, ("fixed", 0), "reserved"),
    (0x7F, 0x7F, "manufacturer_specific", "Manufacturer specific", None, ("fixed", 0), "id"),
)

# --- EN 13757-3:2018 Table 12: first extension table (VIF = FB) ------------------------------
FB: tuple[Row, ...] = (
    (0x00, 0x01, "energy", "Energy", "Wh", ("exp", 5), "number"),            # 10^(n-1) MWh
    (0x02, 0x03, "reactive_energy", "Reactive energy", "varh", ("exp", 3), "number"),  # 10^n kvarh
    (0x04, 0x05, "apparent_energy", "Apparent energy", "VAh", ("exp", 3), "number"),  # 10^n kVAh
    (0x06, 0x07, "reserved", "Reserved", None, ("fixed", 0), "reserved"),
    (0x08, 0x09, "energy_j", "Energy", "J", ("exp", 8), "number"),           # 10^(n-1) GJ
    (0x0A, 0x0B, "reserved", "Reserved", None, ("fixed", 0), "reserved"),
    (0x0C, 0x0F, "energy_cal", "Energy", "MCal", ("exp", -1), "number"),     # 10^(n-1) MCal
    (0x10, 0x11, "volume", "Volume", "m3", ("exp", 2), "number"),            # 10^(n+2) m3
    (0x12, 0x13, "reserved", "Reserved", None, ("fixed", 0), "reserved"),
    (0x14, 0x17, "reactive_power", "Reactive power", "var", ("exp", 0), "number"),  # 10^(nn-3) kvar
    (0x18, 0x19, "mass", "Mass", "kg", ("exp", 5), "number"),                # 10^(n+2) t
    (0x1A, 0x1B, "relative_humidity", "Relative humidity", "%", ("exp", -1), "number"),
    (0x1C, 0x1F, "reserved", "Reserved", None, ("fixed", 0), "reserved"),
    (0x20, 0x20, "volume_ft3", "Volume", "ft3", ("fixed", 0), "number"),
    (0x21, 0x21, "volume_ft3", "Volume", "ft3", ("fixed", -1), "number"),
    (0x22, 0x27, "reserved", "Reserved", None, ("fixed", 0), "reserved"),
    (0x28, 0x29, "power", "Power", "W", ("exp", 5), "number"),               # 10^(n-1) MW
    # resolution 0.1° (Table 12 "Phase U-U (volt. to volt.) 0,1°"; OMS PD01/PD04)
    (0x2A, 0x2A, "phase_u_u", "Phase angle U-U (volt to volt)", "°", ("fixed", -1), "number"),
    (0x2B, 0x2B, "phase_u_i", "Phase angle U-I (volt to current)", "°", ("fixed", -1), "number"),
    (0x2C, 0x2F, "frequency", "Frequency", "Hz", ("exp", -3), "number"),
    (0x30, 0x31, "power_j", "Power", "J/h", ("exp", 8), "number"),           # 10^(n-1) GJ/h
    (0x32, 0x33, "reserved", "Reserved", None, ("fixed", 0), "reserved"),
    (0x34, 0x37, "apparent_power", "Apparent power", "VA", ("exp", 0), "number"),  # 10^(nn-3) kVA
    (0x38, 0x57, "reserved", "Reserved", None, ("fixed", 0), "reserved"),
    # 58-67 and 70-73 were degrees Fahrenheit until EN 13757-3:2004 and are reserved since
    # (2013, 2018): the standard wins, so the value stays raw with no unit; the old meaning is
    # only named in the description (a meter of that era is read by hand, not guessed)
    (0x58, 0x5B, "reserved", "Reserved (EN 13757-3:2004: flow temperature 10^(nn-3) °F)", None,
     ("fixed", 0), "reserved"),
    (0x5C, 0x5F, "reserved", "Reserved (EN 13757-3:2004: return temperature 10^(nn-3) °F)", None,
     ("fixed", 0), "reserved"),
    (0x60, 0x63, "reserved", "Reserved (EN 13757-3:2004: temperature difference 10^(nn-3) °F)", None,
     ("fixed", 0), "reserved"),
    (0x64, 0x67, "reserved", "Reserved (EN 13757-3:2004: external temperature 10^(nn-3) °F)", None,
     ("fixed", 0), "reserved"),
    # E110 1nnn heat cost allocator rating factors (EN 13757-3:2018 Table 12; coded in units
    # of 2^-12 per EN 834): kept raw, the 2^-12 scaling is not applied
    (0x68, 0x68, "hca_rating_factor_k", "Resulting rating factor K (HCA, raw, x 2^-12)", None, ("fixed", 0),
     "reserved"),
    (0x69, 0x69, "hca_rating_factor_kq", "Thermal output rating factor Kq (HCA, raw)", None,
     ("fixed", 0), "reserved"),
    (0x6A, 0x6A, "hca_rating_factor_kc", "Thermal coupling rating factor overall Kc (HCA, raw, x 2^-12)", None,
     ("fixed", 0), "reserved"),
    (0x6B, 0x6B, "hca_rating_factor_kcr", "Thermal coupling rating factor room side Kcr (HCA, raw, x 2^-12)",
     None, ("fixed", 0), "reserved"),
    (0x6C, 0x6C, "hca_rating_factor_kch", "Thermal coupling rating factor heater side Kch (HCA, raw, x 2^-12)",
     None, ("fixed", 0), "reserved"),
    (0x6D, 0x6D, "hca_rating_factor_kt", "Low temperature rating factor Kt (HCA, raw, x 2^-12)", None,
     ("fixed", 0), "reserved"),
    (0x6E, 0x6E, "hca_display_factor_kd", "Display output scaling factor KD (HCA, raw, x 2^-12)", None,
     ("fixed", 0), "reserved"),
    (0x6F, 0x6F, "reserved", "Reserved", None, ("fixed", 0), "reserved"),
    (0x70, 0x73, "reserved", "Reserved (EN 13757-3:2004: cold/warm temperature limit 10^(nn-3) °F)", None,
     ("fixed", 0), "reserved"),
    (0x74, 0x77, "temperature_limit", "Cold/warm temperature limit", "°C", ("exp", -3), "number"),
    (0x78, 0x7F, "max_power_count", "Cumulative count of max power", "W", ("exp", -3), "number"),
)

# --- EN 13757-3:2018 Table 14: second extension table (VIF = FD) -----------------------------
FD: tuple[Row, ...] = (
    (0x00, 0x03, "credit", "Credit (local currency)", "currency", ("exp", -3), "number"),
    (0x04, 0x07, "debit", "Debit (local currency)", "currency", ("exp", -3), "number"),
    (0x08, 0x08, "access_number", "Unique message identification (access number)", None, ("fixed", 0), "id"),
    (0x09, 0x09, "medium", "Device type (medium)", None, ("fixed", 0), "id"),
    (0x0A, 0x0A, "manufacturer", "Manufacturer", None, ("fixed", 0), "id"),
    (0x0B, 0x0B, "parameter_set_id", "Parameter set identification", None, ("fixed", 0), "id"),
    (0x0C, 0x0C, "model_version", "Model/version", None, ("fixed", 0), "id"),
    (0x0D, 0x0D, "hardware_version", "Hardware version", None, ("fixed", 0), "id"),
    (0x0E, 0x0E, "firmware_version", "Metrology (firmware) version", None, ("fixed", 0), "id"),
    (0x0F, 0x0F, "software_version", "Other software version", None, ("fixed", 0), "id"),
    (0x10, 0x10, "customer_location", "Customer location", None, ("fixed", 0), "id"),
    (0x11, 0x11, "customer", "Customer", None, ("fixed", 0), "id"),
    (0x12, 0x12, "access_code_user", "Access code user", None, ("fixed", 0), "id"),
    (0x13, 0x13, "access_code_operator", "Access code operator", None, ("fixed", 0), "id"),
    (0x14, 0x14, "access_code_system_operator", "Access code system operator", None, ("fixed", 0), "id"),
    (0x15, 0x15, "access_code_developer", "Access code developer", None, ("fixed", 0), "id"),
    (0x16, 0x16, "password", "Password", None, ("fixed", 0), "id"),
    (0x17, 0x17, "error_flags", "Error flags", None, ("fixed", 0), "bits"),
    (0x18, 0x18, "error_mask", "Error mask", None, ("fixed", 0), "bits"),
    (0x19, 0x19, "security_key", "Security key", None, ("fixed", 0), "id"),
    (0x1A, 0x1A, "digital_output", "Digital output", None, ("fixed", 0), "bits"),
    (0x1B, 0x1B, "digital_input", "Digital input", None, ("fixed", 0), "bits"),
    (0x1C, 0x1C, "baud_rate", "Baud rate", "Bd", ("fixed", 0), "number"),
    (0x1D, 0x1D, "response_delay", "Response delay time", "bittimes", ("fixed", 0), "number"),
    (0x1E, 0x1E, "retry", "Retry", None, ("fixed", 0), "number"),
    (0x1F, 0x1F, "remote_control", "Remote control", None, ("fixed", 0), "bits"),
    (0x20, 0x20, "first_storage", "First storage number for cyclic storage", None, ("fixed", 0), "number"),
    (0x21, 0x21, "last_storage", "Last storage number for cyclic storage", None, ("fixed", 0), "number"),
    (0x22, 0x22, "storage_block_size", "Size of storage block", None, ("fixed", 0), "number"),
    (0x23, 0x23, "tariff_descriptor", "Descriptor for tariff and subunit", None, ("fixed", 0), "bits"),
    (0x24, 0x27, "storage_interval", "Storage interval", "s", ("time",), "number"),
    (0x28, 0x28, "storage_interval_months", "Storage interval", "month", ("fixed", 0), "number"),
    (0x29, 0x29, "storage_interval_years", "Storage interval", "year", ("fixed", 0), "number"),
    (0x2A, 0x2A, "operator_data", "Operator specific data", None, ("fixed", 0), "id"),
    (0x2B, 0x2B, "time_point_second", "Time point second", "s", ("fixed", 0), "number"),
    (0x2C, 0x2F, "duration_since_readout", "Duration since last readout", "s", ("time",), "number"),
    (0x30, 0x30, "tariff_start", "Start (date/time) of tariff", None, ("fixed", 0), "date"),
    # E011 00nn with nn = 01..11 (min, h, d); nn = 00 is the start date above (Table 14)
    (0x31, 0x33, "tariff_duration", "Duration of tariff", "s", ("time", 1), "number"),
    (0x34, 0x37, "tariff_period", "Period of tariff", "s", ("time",), "number"),
    (0x38, 0x38, "tariff_period_months", "Period of tariff", "month", ("fixed", 0), "number"),
    (0x39, 0x39, "tariff_period_years", "Period of tariff", "year", ("fixed", 0), "number"),
    (0x3A, 0x3A, "dimensionless", "Dimensionless", None, ("fixed", 0), "number"),
    (0x3B, 0x3B, "wmbus_container", "Data container for a wireless M-Bus protocol", None, ("fixed", 0), "id"),
    (0x3C, 0x3F, "transmission_period", "Period of nominal data transmissions", "s", ("time",), "number"),
    (0x40, 0x4F, "voltage", "Voltage", "V", ("exp", -9), "number"),
    (0x50, 0x5F, "current", "Current", "A", ("exp", -12), "number"),
    (0x60, 0x60, "reset_counter", "Reset counter", None, ("fixed", 0), "number"),
    (0x61, 0x61, "cumulation_counter", "Cumulation counter", None, ("fixed", 0), "number"),
    (0x62, 0x62, "control_signal", "Control signal", None, ("fixed", 0), "bits"),
    (0x63, 0x63, "day_of_week", "Day of week", None, ("fixed", 0), "number"),
    (0x64, 0x64, "week_number", "Week number", None, ("fixed", 0), "number"),
    (0x65, 0x65, "day_change_time", "Time point of day change", None, ("fixed", 0), "number"),
    (0x66, 0x66, "parameter_activation", "State of parameter activation", None, ("fixed", 0), "bits"),
    (0x67, 0x67, "special_supplier_info", "Special supplier information", None, ("fixed", 0), "id"),
    (0x68, 0x6B, "duration_since_cumulation", "Duration since last cumulation", "s", ("time_h",), "number"),
    (0x6C, 0x6F, "battery_operating_time", "Operating time battery", "s", ("time_h",), "number"),
    (0x70, 0x70, "battery_change", "Date and time of battery change", None, ("fixed", 0), "date"),
    (0x71, 0x71, "rssi", "Received signal level (RSSI, raw level; scale not defined here)", None,
     ("fixed", 0), "number"),
    (0x72, 0x72, "daylight_saving", "Daylight saving", None, ("fixed", 0), "bits"),
    (0x73, 0x73, "listening_window", "Listening window management", None, ("fixed", 0), "bits"),
    (0x74, 0x74, "remaining_battery_days", "Remaining battery life time", "s", ("fixed", 0), "number"),
    (0x75, 0x75, "meter_stopped_count", "Number of times the meter was stopped", None, ("fixed", 0), "number"),
    (0x76, 0x76, "manufacturer_container", "Data container for manufacturer specific protocol", None,
     ("fixed", 0), "id"),
    (0x77, 0x7F, "reserved", "Reserved", None, ("fixed", 0), "reserved"),
)


def _expand(rows: tuple[Row, ...]) -> dict[int, VifInfo]:
    out: dict[int, VifInfo] = {}
    for first, last, key, desc, unit, rule, kind in rows:
        for code in range(first, last + 1):
            n = code - first
            exponent, factor, u = 0, 1, unit
            if rule[0] == "exp":
                exponent = n + rule[1]
            elif rule[0] == "fixed":
                exponent = rule[1]
            elif rule[0] == "time":
                factor = TIME_UNITS[n + (rule[1] if len(rule) > 1 else 0)][1]
            elif rule[0] == "time_h":
                factor, u = _TIME_H[n]
            out[code] = VifInfo(key, desc, u, exponent, factor, kind)
    return out


_PRIMARY = _expand(PRIMARY)
_FB = _expand(FB)
_FD = _expand(FD)
# remaining battery life time (FD 74) is counted in days (EN 13757-3:2018 Table 14)
_FD[0x74] = VifInfo("remaining_battery", "Remaining battery life time", "s", 0, 86400, "number")


def lookup_primary(vif: int) -> VifInfo:
    """Meaning of a primary VIF (extension bit ignored)."""
    return _PRIMARY[vif & 0x7F]


def lookup_fb(code: int) -> VifInfo:
    """Meaning of a VIFE after VIF FB (first extension table)."""
    return _FB[code & 0x7F]


def lookup_fd(code: int) -> VifInfo:
    """Meaning of a VIFE after VIF FD (second extension table)."""
    return _FD[code & 0x7F]


@dataclass(frozen=True, slots=True)
class Combinable:
    """A combinable (orthogonal) VIFE, EN 13757-3:2018 Table 15/16.

    ``effect`` tells how it changes the value: ``"multiply"``/``"add"`` with ``exponent``
    (correction factors 70-7D), ``"export"`` (backward flow / negative contributions only),
    ``"import"`` (forward flow), ``"phase"`` with ``phase`` 1..3 (L1..L3, 4 = neutral), or
    ``"duration"`` (the value is a duration of ``factor`` seconds per unit, not the VIF's
    quantity), ``"count"`` (a number of events), or ``None`` for qualifiers that do not
    change the number.
    """

    code: int
    key: str
    description: str
    effect: str | None = None
    exponent: int = 0
    phase: int | None = None
    factor: int = 1


_COMBINABLE_ROWS: tuple[tuple[int, int, str, str], ...] = (
    # E000 xxxx: object actions (master to slave) or record error codes (slave to master, 6.4.8)
    (0x00, 0x0F, "record_error", "Record error code (slave to master) / object action"),
    (0x10, 0x11, "reserved", "Reserved"),
    (0x12, 0x12, "average", "Average value"),
    (0x13, 0x13, "inverse_compact_profile", "Inverse compact profile"),
    (0x14, 0x14, "relative_deviation", "Relative deviation"),
    (0x15, 0x1C, "record_error", "Record error code (meter to controller)"),
    (0x1D, 0x1D, "standard_conformant", "Standard conformant data content"),
    (0x1E, 0x1E, "compact_profile_with_register", "Compact profile with register numbers"),
    (0x1F, 0x1F, "compact_profile", "Compact profile"),
    (0x20, 0x20, "per_second", "per second"),
    (0x21, 0x21, "per_minute", "per minute"),
    (0x22, 0x22, "per_hour", "per hour"),
    (0x23, 0x23, "per_day", "per day"),
    (0x24, 0x24, "per_week", "per week"),
    (0x25, 0x25, "per_month", "per month"),
    (0x26, 0x26, "per_year", "per year"),
    (0x27, 0x27, "per_measurement", "per revolution/measurement"),
    (0x28, 0x29, "per_input_pulse", "increment per input pulse on input channel"),
    (0x2A, 0x2B, "per_output_pulse", "increment per output pulse on output channel"),
    (0x2C, 0x2C, "per_litre", "per litre"),
    (0x2D, 0x2D, "per_m3", "per m3"),
    (0x2E, 0x2E, "per_kg", "per kg"),
    (0x2F, 0x2F, "per_kelvin", "per K"),
    (0x30, 0x30, "per_kwh", "per kWh"),
    (0x31, 0x31, "per_gj", "per GJ"),
    (0x32, 0x32, "per_kw", "per kW"),
    (0x33, 0x33, "per_kelvin_litre", "per (K*l)"),
    (0x34, 0x34, "per_volt", "per V"),
    (0x35, 0x35, "per_ampere", "per A"),
    (0x36, 0x36, "times_second", "multiplied by s"),
    (0x37, 0x37, "times_second_per_volt", "multiplied by s/V"),
    (0x38, 0x38, "times_second_per_ampere", "multiplied by s/A"),
    (0x39, 0x39, "start_date", "start date(/time) of"),
    (0x3A, 0x3A, "uncorrected", "uncorrected unit/value at metering conditions"),
    (0x3B, 0x3B, "forward_flow", "accumulation only if positive contributions (forward flow)"),
    (0x3C, 0x3C, "backward_flow", "accumulation of abs value only if negative contributions (backward flow)"),
    (0x3D, 0x3D, "non_metric", "reserved for alternate non-metric unit system"),
    (0x3E, 0x3E, "base_conditions", "value at base conditions"),
    (0x3F, 0x3F, "obis_declaration", "OBIS declaration"),
    (0x40, 0x40, "lower_limit", "lower limit value"),
    (0x48, 0x48, "upper_limit", "upper limit value"),
    (0x41, 0x41, "lower_limit_exceed_count", "number of exceeds of lower limit"),
    (0x49, 0x49, "upper_limit_exceed_count", "number of exceeds of upper limit"),
    (0x42, 0x42, "lower_limit_first_begin", "date of begin of first lower limit exceed"),
    (0x43, 0x43, "lower_limit_first_end", "date of end of first lower limit exceed"),
    (0x44, 0x45, "reserved", "Reserved"),
    (0x46, 0x46, "lower_limit_last_begin", "date of begin of last lower limit exceed"),
    (0x47, 0x47, "lower_limit_last_end", "date of end of last lower limit exceed"),
    (0x4A, 0x4A, "upper_limit_first_begin", "date of begin of first upper limit exceed"),
    (0x4B, 0x4B, "upper_limit_first_end", "date of end of first upper limit exceed"),
    (0x4C, 0x4D, "reserved", "Reserved"),
    (0x4E, 0x4E, "upper_limit_last_begin", "date of begin of last upper limit exceed"),
    (0x4F, 0x4F, "upper_limit_last_end", "date of end of last upper limit exceed"),
    (0x50, 0x53, "lower_limit_first_duration", "duration of first lower limit exceed"),
    (0x54, 0x57, "lower_limit_last_duration", "duration of last lower limit exceed"),
    (0x58, 0x5B, "upper_limit_first_duration", "duration of first upper limit exceed"),
    (0x5C, 0x5F, "upper_limit_last_duration", "duration of last upper limit exceed"),
    (0x60, 0x63, "first_duration", "duration of first"),
    (0x64, 0x67, "last_duration", "duration of last"),
    (0x68, 0x68, "value_lower_limit_exceed", "value during lower limit exceed"),
    (0x69, 0x69, "leakage", "leakage values"),
    (0x6A, 0x6A, "first_begin", "date of begin of first"),
    (0x6B, 0x6B, "first_end", "date of end of first"),
    (0x6C, 0x6C, "value_upper_limit_exceed", "value during upper limit exceed"),
    (0x6D, 0x6D, "overflow", "overflow values"),
    (0x6E, 0x6E, "last_begin", "date of begin of last"),
    (0x6F, 0x6F, "last_end", "date of end of last"),
    (0x7E, 0x7E, "future_value", "future value"),
)

_COMBINABLE: dict[int, Combinable] = {}
for _first, _last, _key, _desc in _COMBINABLE_ROWS:
    for _c in range(_first, _last + 1):
        _COMBINABLE[_c] = Combinable(_c, _key, _desc)
for _c in range(0x70, 0x78):  # E111 0nnn multiplicative correction factor 10^(nnn-6)
    _COMBINABLE[_c] = Combinable(_c, "correction_factor", f"multiplicative correction 10^{_c - 0x76}",
                                 "multiply", _c - 0x76)
for _c in range(0x78, 0x7C):  # E111 10nn additive correction constant 10^(nn-3) * unit of VIF
    _COMBINABLE[_c] = Combinable(_c, "correction_offset", f"additive correction 10^{_c - 0x7B}",
                                 "add", _c - 0x7B)
# durations (E101 ufnn, E110 0fnn): nn is the time unit of the value
for _c in list(range(0x50, 0x60)) + list(range(0x60, 0x68)):
    _COMBINABLE[_c] = Combinable(_c, _COMBINABLE[_c].key, _COMBINABLE[_c].description + f" [{TIME_UNITS[_c & 3][0]}]",
                                 "duration", factor=TIME_UNITS[_c & 3][1])
for _c in (0x41, 0x49):  # number of exceeds of a limit
    _COMBINABLE[_c] = Combinable(_c, _COMBINABLE[_c].key, _COMBINABLE[_c].description, "count")
_COMBINABLE[0x7D] = Combinable(0x7D, "correction_factor", "multiplicative correction 10^3", "multiply", 3)
_COMBINABLE[0x3B] = Combinable(0x3B, "forward_flow", _COMBINABLE[0x3B].description, "import")
_COMBINABLE[0x3C] = Combinable(0x3C, "backward_flow", _COMBINABLE[0x3C].description, "export")
# 0x7C (extension of combinable VIFE codes) and 0x7F (manufacturer specific) are structural and
# handled by the record parser.

# EN 13757-3:2018 Table 16: extension of combinable VIFE codes (after combinable VIFE 7C/FC)
_COMBINABLE_EXT: dict[int, Combinable] = {
    0x00: Combinable(0x00, "reserved", "Reserved"),
    0x01: Combinable(0x01, "phase_l1", "at phase L1", "phase", phase=1),
    0x02: Combinable(0x02, "phase_l2", "at phase L2", "phase", phase=2),
    0x03: Combinable(0x03, "phase_l3", "at phase L3", "phase", phase=3),
    0x04: Combinable(0x04, "neutral", "at neutral (N)", "phase", phase=4),
    0x05: Combinable(0x05, "phase_l1_l2", "between phase L1 and L2"),
    0x06: Combinable(0x06, "phase_l2_l3", "between phase L2 and L3"),
    0x07: Combinable(0x07, "phase_l3_l1", "between phase L3 and L1"),
    0x08: Combinable(0x08, "quadrant_1", "at quadrant Q1"),
    0x09: Combinable(0x09, "quadrant_2", "at quadrant Q2"),
    0x0A: Combinable(0x0A, "quadrant_3", "at quadrant Q3"),
    0x0B: Combinable(0x0B, "quadrant_4", "at quadrant Q4"),
    0x0C: Combinable(0x0C, "import_minus_export", "delta between import and export"),
    0x10: Combinable(0x10, "absolute_accumulation", "accumulation of absolute value (both directions)"),
    0x11: Combinable(0x11, "data_type_c", "data presented with type C"),
    0x12: Combinable(0x12, "data_type_d", "data presented with type D"),
    0x13: Combinable(0x13, "direction_to_meter", "direction: from communication partner to meter"),
    0x14: Combinable(0x14, "direction_from_meter", "direction: from meter to communication partner"),
}


def lookup_combinable(code: int) -> Combinable:
    """Meaning of a combinable (orthogonal) VIFE (extension bit ignored)."""
    c = code & 0x7F
    return _COMBINABLE.get(c) or Combinable(c, "reserved", f"Reserved combinable VIFE {c:02X}")


def lookup_combinable_ext(code: int) -> Combinable:
    """Meaning of a VIFE following the combinable extension VIFE 7C/FC."""
    c = code & 0x7F
    return _COMBINABLE_EXT.get(c) or Combinable(c, "reserved", f"Reserved extended combinable VIFE {c:02X}")


#: DIF function field (bits 5-4), EN 13757-3:2018 Table 5
FUNCTIONS = ("instantaneous", "maximum", "minimum", "error")

#: Device type / medium (EN 13757-7:2018 Table 12, formerly EN 13757-3 Table 3)
MEDIUM: dict[int, str] = {
    0x00: "other", 0x01: "oil", 0x02: "electricity", 0x03: "gas", 0x04: "heat (outlet)",
    0x05: "steam", 0x06: "warm water", 0x07: "water", 0x08: "heat cost allocator",
    0x09: "compressed air", 0x0A: "cooling (outlet)", 0x0B: "cooling (inlet)", 0x0C: "heat (inlet)",
    0x0D: "heat/cooling", 0x0E: "bus/system component", 0x0F: "unknown", 0x10: "irrigation water",
    0x11: "water data logger", 0x12: "gas data logger", 0x13: "gas converter", 0x14: "calorific value",
    0x15: "hot water", 0x16: "cold water", 0x17: "dual water", 0x18: "pressure", 0x19: "A/D converter",
    0x1A: "smoke detector", 0x1B: "room sensor", 0x1C: "gas detector", 0x20: "breaker (electricity)",
    0x21: "valve (gas or water)", 0x25: "customer unit (display)", 0x28: "waste water",
    0x29: "garbage", 0x2B: "service unit", 0x31: "communication controller",
    0x32: "unidirectional repeater", 0x33: "bidirectional repeater", 0x36: "radio converter (system side)",
    0x37: "radio converter (meter side)", 0x38: "bus converter (meter side)",
}

#: CI 0x70 application error codes, EN 13757-3:2018 Table 26 (general application errors)
APPLICATION_ERRORS: dict[int, str] = {
    0: "unspecified error",
    1: "unimplemented CI field",
    2: "buffer too long, truncated",
    3: "too many records",
    4: "premature end of record",
    5: "more than 10 DIFEs",
    6: "more than 10 VIFEs",
    7: "reserved",
    8: "application busy",
    9: "too many readouts",
}
