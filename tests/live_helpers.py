"""Shared parts of the live-reading tests: real frames from fixtures/, a consumer thread, a
loopback TCP server and pseudo-terminal pairs. No mocks: every byte crosses a real pty or socket."""
from __future__ import annotations

import json
import os
import pathlib
import queue
import socket
import sys
import threading
import time
import tty
from typing import Any, Callable, Iterable

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CLI = [sys.executable, "-m", "smartmeter_codecs"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _hex_file(path: pathlib.Path) -> bytes:
    lines = [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    return bytes.fromhex("".join(lines))


def dlms_frame() -> bytes:
    """Kamstrup NO list 3 (amsreader-firmware test/payloads/kamstrup/em001-1.hex, see the file header)."""
    return _hex_file(FIXTURES / "dlms" / "kamstrup-no-list3-hdlc-em001-1.hex")


def dlms_frame_aidon() -> bytes:
    """Aidon SE 27-item list (u9n/dlms-cosem, see the file header)."""
    return _hex_file(FIXTURES / "dlms" / "aidon-se-27item-hdlc.hex")


def p1_telegram() -> bytes:
    """DSMR 5 telegram with CRC (ndokter/dsmr_parser TELEGRAM_V5, fixtures/p1/corpus.json)."""
    for e in json.loads((FIXTURES / "p1" / "corpus.json").read_text())["entries"]:
        if e["id"] == "p1-dsmr_parser-telegram_v5":
            return e["data"].encode("latin-1")
    raise LookupError("p1-dsmr_parser-telegram_v5 missing from fixtures/p1/corpus.json")


def mbus_frame() -> bytes:
    """Finder 7E.23 long frame (libmbus test-frames, fixtures/mbus/corpus.json)."""
    for e in json.loads((FIXTURES / "mbus" / "corpus.json").read_text())["entries"]:
        if e["id"] == "libmbus:test-frames/FIN-Finder-7E.23.8.230.0020":
            return bytes.fromhex(e["hex"])
    raise LookupError("Finder frame missing from fixtures/mbus/corpus.json")


def sml_dump() -> bytes:
    """Five consecutive SML transport frames from an Iskra MT631 optical port
    (devZer0/libsml-testing, fixtures/sml/more_real_frames.json)."""
    for e in json.loads((FIXTURES / "sml" / "more_real_frames.json").read_text())["dumps"]:
        if e["id"] == "libsml-testing-iskra-mt631-h01-with-pin":
            return bytes.fromhex(e["data"])
    raise LookupError("Iskra MT631 dump missing from fixtures/sml/more_real_frames.json")


DONE = object()


class Collector:
    """Iterates a (blocking) reader in a thread; the test takes items with a hang guard."""

    def __init__(self, iterable: Iterable[Any]) -> None:
        self.items: queue.Queue[Any] = queue.Queue()
        self._it = iterable
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for item in self._it:
                self.items.put(item)
        except BaseException as err:  # handed to the test thread, which asserts on it
            self.items.put(err)
        self.items.put(DONE)

    def get(self, timeout: float = 10.0) -> Any:
        return self.items.get(timeout=timeout)


def wait_until(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``cond`` (a hang guard, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.01)


class Pty:
    """A pseudo-terminal pair in raw mode: the test writes ``master``, readers open ``path``."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.master, view):]

    def close(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


def point_link(link: pathlib.Path, target: str) -> None:
    """Atomically (re)point a symlink, like udev's /dev/serial/by-id names."""
    tmp = link.with_name(link.name + ".new")
    if tmp.is_symlink():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A TCP server on 127.0.0.1 (the bridge side); accept() returns the connected client."""

    def __init__(self, port: int = 0) -> None:
        self.sock = socket.create_server(("127.0.0.1", port))
        self.port = int(self.sock.getsockname()[1])
        self.sock.settimeout(10)

    def accept(self) -> socket.socket:
        conn, _ = self.sock.accept()
        return conn

    def close(self) -> None:
        self.sock.close()
