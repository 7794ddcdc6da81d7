"""str.isdigit() is True for "²" and other non-ASCII digits, which int() refuses: every place
that turns text into a number checks for ASCII digits first (found by fuzzing es-csv; the same
pattern was then fixed in the DLMS tariff, Datadis, Eloverblik and HTTP helpers)."""
from __future__ import annotations

import smartmeter_codecs as smc
from smartmeter_codecs.platforms.http import HttpResponse, retry_after


def _tariff_push(value_hex: str) -> bytes:
    # data-notification: one (OBIS 0-0:96.14.0.255 current tariff, value) structure
    return bytes.fromhex("0f00000001000101020209060000600e00ff" + value_hex)


def test_dlms_tariff_superscript_digit_is_text_not_a_crash():
    assert smc.decode(_tariff_push("0a01b2"), format="dlms").tariff == "\u00b2"
    assert smc.decode(_tariff_push("0a0132"), format="dlms").tariff == "T2"     # ASCII "2" -> T2


def test_es_csv_superscript_hour_is_a_typed_error():
    csv = "CUPS;Fecha;Hora;Consumo_kWh;Metodo_obtencion\nES0021000000000000XX;01/01/2024;\u00b2;0,1;R\n"
    try:
        smc.decode_all(csv, format="es-csv")
    except smc.DecodeError as err:
        assert "hour" in str(err)
    else:
        raise AssertionError("a superscript hour must not decode")


def test_retry_after_refuses_superscripts():
    assert retry_after(HttpResponse(429, {"Retry-After": "12"})) == 12.0
    assert retry_after(HttpResponse(429, {"Retry-After": "\u00b2"})) is None
