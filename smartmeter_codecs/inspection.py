"""A layered, annotated view of a frame: which bytes mean what, layer by layer.

``smc.inspect(data)`` returns an :class:`Inspection`. ``str()`` is a text tree with byte
offsets; in Jupyter, ``_repr_html_()`` shows an annotated hex dump next to the tree.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Iterator

__all__ = ["Field", "Inspection"]


@dataclass(slots=True)
class Field:
    """One node of the tree.

    ``start``/``end`` are byte offsets into the *original input* (end exclusive); ``None`` for
    nodes that describe derived data (e.g. a decrypted plaintext) with ``source`` naming it.
    """

    name: str
    start: int | None = None
    end: int | None = None
    value: Any = None
    description: str | None = None
    children: list["Field"] = field(default_factory=list)
    source: str | None = None

    def add(self, name: str, start: int | None = None, end: int | None = None, value: Any = None,
            description: str | None = None, source: str | None = None) -> "Field":
        child = Field(name, start, end, value, description, [], source)
        self.children.append(child)
        return child

    def walk(self, depth: int = 0) -> Iterator[tuple[int, "Field"]]:
        yield depth, self
        for c in self.children:
            yield from c.walk(depth + 1)

    def find(self, name: str) -> "Field | None":
        """First node (depth-first) with this name."""
        for _, f in self.walk():
            if f.name == name:
                return f
        return None


@dataclass(slots=True)
class Inspection:
    """The result of :func:`smartmeter_codecs.inspect`.

    Attributes:
        data: the input bytes.
        format: the format that decoded it.
        root: tree of :class:`Field` (layers as top-level children).
        readings: the Readings decoded from the input (may be empty when decoding failed).
        error: the error that stopped decoding, if any: inspection shows as much as was
            understood before it.
    """

    data: bytes
    format: str
    root: Field
    readings: list[Any] = field(default_factory=list)
    error: Exception | None = None

    def __str__(self) -> str:
        lines = []
        for depth, f in self.root.walk():
            if f is self.root:
                lines.append(f"{f.name} ({len(self.data)} bytes)")
                continue
            rng = ""
            if f.start is not None and f.end is not None:
                rng = f"[{f.start}:{f.end}] "
            elif f.source:
                rng = f"[{f.source}] "
            val = "" if f.value is None else f" = {_short(f.value)}"
            desc = f"  # {f.description}" if f.description else ""
            lines.append(f"{'  ' * (depth - 1)}{rng}{f.name}{val}{desc}")
        if self.error is not None:
            lines.append(f"error: {self.error}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        def node(f: Field) -> dict[str, Any]:
            return {"name": f.name, "start": f.start, "end": f.end, "value": _short(f.value),
                    "description": f.description, "source": f.source,
                    "children": [node(c) for c in f.children]}
        return {"format": self.format, "length": len(self.data), "tree": node(self.root),
                "error": str(self.error) if self.error else None}

    def _repr_html_(self) -> str:
        # Colour each byte by the deepest leaf covering it; hover shows the field path.
        owner: list[str | None] = [None] * len(self.data)
        palette = ["#fde2e4", "#e2ece9", "#dfe7fd", "#fff1e6", "#e9edc9", "#f0efeb", "#cddafd", "#fad2e1"]
        colour: dict[str, str] = {}
        for _depth, f in self.root.walk():
            if f.start is None or f.end is None or f.children:
                continue
            label = f.name if f.value is None else f"{f.name} = {_short(f.value)}"
            for i in range(max(f.start, 0), min(f.end, len(self.data))):
                owner[i] = label
            colour.setdefault(label, palette[len(colour) % len(palette)])
        cells = []
        for i, b in enumerate(self.data):
            lab = owner[i]
            # pastel backgrounds need their own dark text: a dark notebook theme's light text
            # on them is unreadable; uncoloured bytes keep the theme's colours
            style = f' style="background:{colour[lab]};color:#1b1b1b"' if lab else ""
            title = f' title="{html.escape(lab)} (byte {i})"' if lab else f' title="byte {i}"'
            cells.append(f"<span{style}{title}>{b:02x}</span>")
            if i % 32 == 31:
                cells.append("<br>")
        tree = html.escape(str(self))
        return ("<div style='display:flex;gap:2em'>"
                f"<pre style='font-family:monospace'>{' '.join(cells)}</pre>"
                f"<pre style='font-family:monospace'>{tree}</pre></div>")


def _short(v: Any, limit: int = 80) -> str:
    if isinstance(v, (bytes, bytearray, memoryview)):
        s = bytes(v).hex()
    else:
        s = str(v)
    return s if len(s) <= limit else s[: limit - 3] + "..."
