"""Live readers through real pseudo-terminals and real loopback sockets (issue 11 item 1).

Serial: pyserial opens the slave side of an os.openpty() pair. TCP: a server on 127.0.0.1
started by the test. Reconnect: the pty's master or the server really goes away and comes back.
"""
from __future__ import annotations

import asyncio
import os
import threading

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs import io as smio
from smartmeter_codecs.io import simulator as sim

from live_helpers import (DONE, Collector, Pty, Server, dlms_frame, dlms_frame_aidon, free_port,
                          mbus_frame, p1_telegram, point_link, sml_dump, wait_until)

FAST = smio.Backoff(initial=0.02, factor=2.0, maximum=0.1)


# --------------------------------------------------------------------------- serial (pty)

@pytest.mark.parametrize("fmt,frame", [("dlms", dlms_frame), ("p1", p1_telegram), ("mbus", mbus_frame)])
def test_serial_yields_each_reading_as_its_frame_completes(fmt, frame):
    pty = Pty()
    reader = smio.read_serial(pty.path, format=fmt)
    col = Collector(reader)
    try:
        wait_until(lambda: reader.connections == 1)
        data = frame()
        expected = smc.decode(data, format=fmt)
        for _ in range(3):
            # the frame in two pieces and then silence: the Reading must come without more bytes
            pty.write(data[:-1])
            pty.write(data[-1:])
            item = col.get()
            assert isinstance(item, smc.Reading), item
            assert item.meter_id == expected.meter_id
            assert item.active_energy_import == expected.active_energy_import
        assert col.items.empty()
    finally:
        reader.close()
        assert col.get() is DONE    # close() ends the iteration although no byte comes
        pty.close()


def test_serial_sml_preset_reads_an_optical_head_dump():
    """Five real SML frames (Iskra MT631) through a pty with the sml preset (9600 8N1)."""
    pty = Pty()
    reader = smio.read_serial(pty.path, preset="sml")
    col = Collector(reader)
    try:
        wait_until(lambda: reader.connections == 1)
        dump = sml_dump()
        for i in range(0, len(dump), 64):         # a 9600-baud trickle, 64 bytes at a time
            pty.write(dump[i:i + 64])
        got = [col.get() for _ in range(5)]
        expected = smc.decode_all(dump, format="sml")
        assert [r.active_energy_import for r in got] == [r.active_energy_import for r in expected]
        assert {r.format for r in got} == {"sml"}
    finally:
        reader.close()
        pty.close()


def test_serial_garbage_between_frames_loses_nothing():
    pty = Pty()
    reader = smio.read_serial(pty.path, format="dlms", errors="log")
    col = Collector(reader)
    try:
        wait_until(lambda: reader.connections == 1)
        frames = [dlms_frame(), dlms_frame_aidon()] * 3
        for f in frames:
            pty.write(sim.GARBAGE + f)
        got = [col.get() for _ in frames]
        assert [r.meter_id for r in got] == [smc.decode(f).meter_id for f in frames]
    finally:
        reader.close()
        pty.close()


def test_serial_reconnects_after_the_port_disappears(tmp_path):
    link = tmp_path / "meter"             # like /dev/serial/by-id/...: the name survives a replug
    first = Pty()
    point_link(link, first.path)
    reader = smio.read_serial(str(link), preset="no-han-kamstrup", reconnect=FAST)
    assert reader.format == "dlms"        # the preset's format
    col = Collector(reader)
    second = None
    try:
        wait_until(lambda: reader.connections == 1)
        first.write(dlms_frame())
        assert isinstance(col.get(), smc.Reading)
        first.write(dlms_frame()[:40])     # a frame cut by the unplug
        first.close()                      # the adapter is unplugged: the reader's read fails
        second = Pty()
        point_link(link, second.path)      # and plugged in again
        wait_until(lambda: reader.connections == 2)
        second.write(dlms_frame() + dlms_frame())
        a, b = col.get(), col.get()
        assert isinstance(a, smc.Reading) and isinstance(b, smc.Reading)
        assert a.meter_id == smc.decode(dlms_frame()).meter_id
    finally:
        reader.close()
        assert col.get() is DONE
        first.close()
        if second:
            second.close()


def test_serial_gives_up_after_the_configured_attempts(tmp_path):
    missing = str(tmp_path / "no-such-port")
    reader = smio.read_serial(missing, reconnect=smio.Backoff(initial=0.01, maximum=0.01, attempts=2))
    with pytest.raises(OSError):
        list(reader)
    # first=False: the first failure is not retried at all
    with pytest.raises(OSError):
        list(smio.read_serial(missing, reconnect=smio.Backoff(first=False)))


def test_serial_stop_event_ends_a_back_off_wait(tmp_path):
    stop = threading.Event()
    reader = smio.read_serial(str(tmp_path / "absent"), reconnect=smio.Backoff(initial=30.0), stop=stop)
    col = Collector(reader)
    stop.set()                               # would otherwise wait 30 s before the next attempt
    assert col.get() is DONE


def test_serial_line_settings_come_from_the_preset_and_overrides():
    pty = Pty()
    try:
        reader = smio.read_serial(pty.path, preset="dsmr22")
        assert reader.description.endswith("(9600 7E1)") and reader.format == "p1"
        reader = smio.read_serial(pty.path, preset="dsmr22", baudrate=115200, bytesize=8, parity="N")
        assert reader.description.endswith("(115200 8N1)")
        with pytest.raises(ValueError, match="unknown serial preset"):
            smio.read_serial(pty.path, preset="atlantis")
        with pytest.raises(ValueError, match="parity"):
            smio.read_serial(pty.path, parity="X")
        with pytest.raises(ValueError, match="unknown format"):
            smio.read_serial(pty.path, format="nope")
    finally:
        pty.close()


def test_keys_are_passed_through_to_the_decoder():
    keys = smc.Keys(encryption_key="000102030405060708090a0b0c0d0e0f",
                    authentication_key="d0d1d2d3d4d5d6d7d8d9dadbdcdddedf")
    frames = sim.generated_frames("dlms", keys=keys)
    data = [next(frames) for _ in range(2)]
    pty = Pty()
    reader = smio.read_serial(pty.path, format="dlms", keys=keys)
    col = Collector(reader)
    try:
        wait_until(lambda: reader.connections == 1)
        pty.write(b"".join(data))
        got = [col.get(), col.get()]
        assert all(isinstance(r, smc.Reading) and r.authenticated is True for r in got)
    finally:
        reader.close()
        pty.close()
    # without keys the same frames are typed errors, not Readings
    assert all(isinstance(i, smc.DecodeError) for i in smc.StreamDecoder(format="dlms").feed(data[0]))


def test_asyncio_serial_reader_over_a_pty():
    pty = Pty()

    async def main() -> list[smc.Reading]:
        reader = smio.aread_serial(pty.path, preset="dsmr5")
        got: list[smc.Reading] = []

        async def feed() -> None:
            while reader.connections == 0:
                await asyncio.sleep(0.01)
            for _ in range(3):
                pty.write(p1_telegram())

        task = asyncio.ensure_future(feed())
        async for item in reader:
            got.append(item)
            if len(got) == 3:
                break
        await task
        return got

    try:
        got = asyncio.run(asyncio.wait_for(main(), 20))
    finally:
        pty.close()
    assert [r.format for r in got] == ["p1"] * 3
    assert all(r.active_energy_import == got[0].active_energy_import for r in got)


# --------------------------------------------------------------------------- TCP

def test_tcp_reader_and_reconnect_after_the_server_closes():
    server = Server()
    port = server.port
    reader = smio.read_tcp(f"127.0.0.1:{port}", reconnect=FAST)
    col = Collector(reader)
    try:
        conn = server.accept()
        conn.sendall(p1_telegram())
        first = col.get()
        assert isinstance(first, smc.Reading) and reader.format == "p1"   # detected, then kept
        conn.sendall(p1_telegram()[:100])   # half a telegram, then the bridge restarts
        conn.close()
        server.close()
        server = Server(port)               # back on the same port; the reader's retries find it
        conn = server.accept()
        conn.sendall(b"\x00garbage" + p1_telegram() + p1_telegram())
        got = [col.get(), col.get()]
        assert all(isinstance(r, smc.Reading) for r in got), got
        assert got[0].active_energy_import == first.active_energy_import
        assert reader.connections == 2
        conn.close()
    finally:
        reader.close()
        assert col.get() is DONE
        server.close()


def test_tcp_idle_timeout_reconnects_a_silent_bridge():
    server = Server()
    reader = smio.read_tcp("127.0.0.1", server.port, reconnect=FAST, idle_timeout=0.1)
    col = Collector(reader)
    try:
        silent = server.accept()            # accepts and never sends: an ESP bridge that hangs
        conn = server.accept()              # the reader gave up on it and came back
        conn.sendall(dlms_frame())
        assert isinstance(col.get(), smc.Reading)
        assert reader.connections == 2
        silent.close()
        conn.close()
    finally:
        reader.close()
        server.close()


def test_tcp_without_reconnect_ends_at_end_of_stream_and_raises_refusal():
    server = Server()
    reader = smio.read_tcp("127.0.0.1", server.port, format="mbus", reconnect=None)
    col = Collector(reader)
    conn = server.accept()
    conn.sendall(mbus_frame() * 2)
    conn.close()
    items = [col.get(), col.get(), col.get()]
    assert [type(i).__name__ for i in items[:2]] == ["Reading", "Reading"] and items[2] is DONE
    server.close()
    with pytest.raises(ConnectionRefusedError):
        list(smio.read_tcp("127.0.0.1", free_port(), reconnect=None))
    with pytest.raises(ValueError, match="HOST:PORT"):
        smio.read_tcp("no-port-here")


def test_asyncio_tcp_reader_reconnects_and_stops():
    async def main() -> tuple[list[object], int]:
        sends = [p1_telegram(), sim.GARBAGE + p1_telegram()]
        port_holder: list[int] = []

        async def bridge(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            w.write(sends.pop(0) if sends else b"")
            await w.drain()
            w.close()                       # every connection delivers one telegram and drops

        server = await asyncio.start_server(bridge, "127.0.0.1", 0)
        port_holder.append(server.sockets[0].getsockname()[1])
        stop = asyncio.Event()
        reader = smio.aread_tcp("127.0.0.1", port_holder[0], reconnect=FAST, stop=stop)
        got: list[object] = []
        async for item in reader:
            got.append(item)
            if len(got) == 2:
                stop.set()                  # ends the iteration at the next await
        server.close()
        await server.wait_closed()
        return got, reader.connections

    got, connections = asyncio.run(asyncio.wait_for(main(), 20))
    assert [type(i).__name__ for i in got] == ["Reading", "Reading"]
    assert connections >= 2


def test_asyncio_tcp_gives_up_after_attempts():
    async def main() -> None:
        reader = smio.aread_tcp("127.0.0.1", free_port(),
                                reconnect=smio.Backoff(initial=0.01, maximum=0.01, attempts=2))
        async for _ in reader:
            pass

    with pytest.raises(ConnectionRefusedError):
        asyncio.run(asyncio.wait_for(main(), 20))


# --------------------------------------------------------------------------- files

def test_read_file_keeps_bytes_and_reports_progress(tmp_path):
    capture = tmp_path / "p1.txt"
    capture.write_bytes(p1_telegram() * 3)        # CR LF inside: a text file read byte for byte
    seen: list[int] = []
    items = list(smio.read_file(capture, on_bytes=seen.append))
    assert [type(i).__name__ for i in items] == ["Reading"] * 3
    assert seen[-1] == capture.stat().st_size
    with open(capture, "rb") as f:
        assert len(list(smio.read_file(f, format="p1"))) == 3


def test_profile_is_passed_through(tmp_path):
    capture = tmp_path / "kamstrup.bin"
    capture.write_bytes(dlms_frame())
    (se,) = smio.read_file(capture, format="dlms", profile="kamstrup-se")
    assert se.profile == "kamstrup-se"
    assert se.active_energy_import == smc.decode(dlms_frame(), profile="kamstrup-se").active_energy_import
    with pytest.raises(ValueError, match="profile"):
        smio.read_file(capture, format="dlms", profile="atlantis")


def test_simulator_sinks_reach_a_reader(tmp_path):
    link = str(tmp_path / "meter")
    sink = sim.PtySink(link)
    assert os.path.realpath(link) == sink.path
    reader = smio.read_serial(link, format="p1")
    col = Collector(reader)
    stop = threading.Event()
    try:
        wait_until(lambda: reader.connections == 1)
        t = threading.Thread(target=sim.run, args=(sim.generated_frames("p1"), sink),
                             kwargs={"interval": 0.01, "count": 4, "garbage": True, "stop": stop})
        t.start()
        got = [col.get() for _ in range(4)]
        t.join()
        stamps = [r.timestamp for r in got]
        assert stamps == sorted(stamps) and len(set(stamps)) == 4   # 4 consecutive, none repeated
        energies = [r.active_energy_import for r in got]
        expected = [r.active_energy_import for r, _ in zip(sim.generated_readings(), range(4), strict=False)]
        assert energies == expected
    finally:
        stop.set()
        reader.close()
        sink.close()
    assert not os.path.lexists(link)


def test_backoff_delays_are_bounded_and_validated():
    assert list(smio.Backoff(initial=1, factor=3, maximum=5, attempts=4).delays()) == [1, 3, 5, 5]
    assert list(smio.Backoff(attempts=0).delays()) == []
    with pytest.raises(ValueError):
        smio.Backoff(factor=0.5)
    with pytest.raises(ValueError):
        smio.Backoff(initial=-1)
