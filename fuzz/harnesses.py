"""Fuzz harnesses: one function per entry point, the same for atheris and hypothesis.

Each harness takes ``(data, keys)`` and checks the library's guarantees (docs/robustness.md)
for that input; a violation is an exception other than :class:`~smartmeter_codecs.DecodeError`
or an ``AssertionError`` naming the broken guarantee:

* bad input raises only ``DecodeError`` subclasses (with a layer, an int/None offset and a
  message), ``inspect`` never raises, ``StreamDecoder.feed`` yields Readings and DecodeErrors;
* every Reading is JSON-ready (``to_dict``), passed the plausibility screen, and, when the keys
  hold an authentication key, has ``authenticated=True`` (the authentication rule);
* key material never appears in a Reading, an error message or an inspection (unless the
  fuzzer itself put those bytes in the input);
* a stream fed in chunks yields the same Readings as the same bytes fed at once.

Harness names: ``decode-<format>``, ``decode-auto``, ``inspect-<format>``, ``inspect-auto``,
``stream-<format>`` (formats with a byte stream) and ``stream-auto``.
"""
from __future__ import annotations

import json
from typing import Callable

import smartmeter_codecs as smc
from smartmeter_codecs.keys import has_authentication_key
from smartmeter_codecs.plausibility import implausible_fields

__all__ = ["HARNESSES", "FORMATS", "STREAM_FORMATS", "Harness", "split_input", "formats_of"]

Harness = Callable[[bytes, "smc.Keys | None"], None]



def _streams(fmt: str) -> bool:
    try:
        smc.StreamDecoder(format=fmt)
    except ValueError:   # a document format (JSON, XML, register blocks): no byte stream
        return False
    return True


#: every format of the registry (a new format gets its harnesses without an edit here)
FORMATS = tuple(f.name for f in smc.formats())
STREAM_FORMATS = tuple(f for f in FORMATS if _streams(f))


def _secrets(keys: smc.Keys | None, data: bytes) -> list[str]:
    """Key material as it could leak into text, minus what the input itself contains."""
    if keys is None:
        return []
    out = []
    hexdata = data.hex()
    text = data.decode("latin-1").lower()     # an input may spell the key's hex as text
    for k in (keys.encryption_key, keys.authentication_key):
        if k and k.hex() not in hexdata and k not in data and k.hex() not in text:
            out += [k.hex(), k.hex().upper(), repr(k)]
    return out


def _no_secret(text: str, secrets: list[str], where: str) -> None:
    for s in secrets:
        assert s not in text, f"key material in {where}"


def _check_error(err: smc.DecodeError, secrets: list[str]) -> None:
    assert isinstance(err.layer, str) and err.layer, "DecodeError without a layer"
    assert err.offset is None or isinstance(err.offset, int), f"offset {err.offset!r} is not an int"
    assert isinstance(err.message, str) and err.message, "DecodeError without a message"
    _no_secret(str(err), secrets, "an error message")


def _check_reading(r: object, keys: smc.Keys | None, secrets: list[str]) -> None:
    assert isinstance(r, smc.Reading), f"{type(r).__name__} where a Reading was expected"
    json.dumps(r.to_dict())
    assert not implausible_fields(r), f"implausible fields passed the screen: {implausible_fields(r)}"
    if has_authentication_key(keys):
        assert r.authenticated is True, "a Reading without a verified tag while an authentication key was given"
    _no_secret(repr(r), secrets, "a Reading")


def _decode(fmt: str | None) -> Harness:
    def harness(data: bytes, keys: smc.Keys | None) -> None:
        secrets = _secrets(keys, data)
        try:
            out = smc.decode_all(data, format=fmt, keys=keys)
        except smc.DecodeError as err:
            _check_error(err, secrets)
            return
        assert isinstance(out, list)
        for r in out:
            _check_reading(r, keys, secrets)
    harness.__name__ = f"decode_{fmt or 'auto'}"
    return harness


def _inspect(fmt: str | None) -> Harness:
    def harness(data: bytes, keys: smc.Keys | None) -> None:
        secrets = _secrets(keys, data)
        ins = smc.inspect(data, format=fmt, keys=keys)
        assert isinstance(ins, smc.Inspection)
        assert ins.error is None or isinstance(ins.error, smc.DecodeError), f"inspect error {ins.error!r}"
        if ins.error is not None:
            _check_error(ins.error, secrets)
        for r in ins.readings:
            _check_reading(r, keys, secrets)
        text = str(ins)
        json.dumps(ins.to_dict())
        ins._repr_html_()
        _no_secret(text, secrets, "an inspection")
    harness.__name__ = f"inspect_{fmt or 'auto'}"
    return harness


def _chunks(data: bytes) -> list[bytes]:
    """A split of ``data`` chosen by its own bytes (deterministic, 1..16-byte and larger chunks)."""
    sizes = [1 + (b % 16) if b & 0x80 else 1 + b for b in data[:16]] or [1]
    out, pos, i = [], 0, 0
    while pos < len(data):
        n = sizes[i % len(sizes)]
        out.append(data[pos:pos + n])
        pos += n
        i += 1
    return out


def _stream(fmt: str | None) -> Harness:
    def harness(data: bytes, keys: smc.Keys | None) -> None:
        secrets = _secrets(keys, data)
        whole = list(smc.StreamDecoder(format=fmt, keys=keys).feed(data))
        dec = smc.StreamDecoder(format=fmt, keys=keys)
        chunked = [item for chunk in _chunks(data) for item in dec.feed(chunk)]
        for item in whole + chunked:
            if isinstance(item, smc.DecodeError):
                _check_error(item, secrets)
            else:
                _check_reading(item, keys, secrets)
        got = [repr(i) for i in chunked if isinstance(i, smc.Reading)]
        want = [repr(i) for i in whole if isinstance(i, smc.Reading)]
        assert got == want, f"chunked feeding gave {len(got)} Readings, one feed {len(want)} (or different ones)"
    harness.__name__ = f"stream_{fmt or 'auto'}"
    return harness


HARNESSES: dict[str, Harness] = {}
for _f in (*FORMATS, None):
    HARNESSES[f"decode-{_f or 'auto'}"] = _decode(_f)
for _f in (*FORMATS, None):
    HARNESSES[f"inspect-{_f or 'auto'}"] = _inspect(_f)
for _f in (*STREAM_FORMATS, None):
    HARNESSES[f"stream-{_f or 'auto'}"] = _stream(_f)


def formats_of(name: str) -> tuple[str, ...]:
    """The seed formats for a harness (``auto`` harnesses take every format's seeds)."""
    fmt = name.split("-", 1)[1]
    return FORMATS if fmt == "auto" else (fmt,)


def split_input(raw: bytes, keysets: tuple["smc.Keys | None", ...]) -> tuple["smc.Keys | None", bytes]:
    """A raw fuzz input as (keys, data): the first byte picks a key set (atheris/libFuzzer
    mutate one byte string; hypothesis draws the two directly)."""
    if not raw:
        return None, b""
    return keysets[raw[0] % len(keysets)], raw[1:]
