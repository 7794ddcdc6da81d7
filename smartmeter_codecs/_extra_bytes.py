"""Bytes around the frames of a message given to ``decode``/``decode_all`` (issue 9 item 3).

A complete, checksum-valid frame followed by a few bytes of line noise (a real Swiss
Kamstrup capture ends ``7E 29 12 13 14``) is a valid message: the frame decodes, and the
extra bytes are said in the Reading's ``quality`` (and logged at INFO level: some meters
always send them, e.g. the EasyMeter COM-1 0xFF runs after a P1 telegram, so a warning on
every decode would be noise) instead of failing the whole input. Leading bytes are accepted the same way when a checksum-protected frame
follows them. A framed codec decides what counts as extra (it must never hide a corrupt
frame: a complete frame with a bad checksum still raises); this module only words the note.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence

from .model import Reading

__all__ = ["note_extra_bytes", "extra_bytes_note"]

log = logging.getLogger("smartmeter_codecs")


def note_extra_bytes(readings: Sequence[Reading], fmt: str, *, leading: int = 0, first: int = 0,
                     trailing: int = 0, last_end: int = 0) -> list[Reading]:
    """``readings`` with ``leading bytes: N before offset F`` and/or ``trailing bytes: N after
    offset E`` appended to ``quality`` (every Reading of the input carries it, so ``decode``,
    which returns the last one, shows it too), and one INFO log line."""
    text = extra_bytes_note(fmt, leading=leading, first=first, trailing=trailing, last_end=last_end)
    if text is None:
        return list(readings)
    return [r.replace(quality=f"{r.quality}; {text}" if r.quality else text) for r in readings]


def extra_bytes_note(fmt: str, *, leading: int = 0, first: int = 0, trailing: int = 0,
                     last_end: int = 0) -> str | None:
    """The ``quality`` note of :func:`note_extra_bytes` (and its INFO log line), or None when
    there are no extra bytes: for a codec that builds its Reading with the note at once."""
    notes = []
    if leading:
        notes.append(f"leading bytes: {leading} before offset {first}")
    if trailing:
        notes.append(f"trailing bytes: {trailing} after offset {last_end}")
    if not notes:
        return None
    text = "; ".join(notes)
    log.info("%s input: %s ignored (not part of any frame)", fmt, text)
    return text
