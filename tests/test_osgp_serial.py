"""The MEP serial transport and the ``osgp`` CLI command against the simulated meter on a
real pseudo-terminal pair (no mocks): the meter thread reads the pty master, the reader opens
the slave with pyserial."""
from __future__ import annotations

import datetime as dt
import json
import os
import select
import threading
import tty

import pytest
import serial  # noqa: F401  - the [serial] extra, also in the test extra: fail loudly if missing

import smartmeter_codecs as smc
from smartmeter_codecs.cli import main
from smartmeter_codecs.osgp import SimulatedMeter, meter_tables

MBK = b"0123456789ABCDEFGHIJ"[:16]          # a DSO's 20-character key, used as ASCII (first 16)
R = smc.Reading(format="osgp-mep", timestamp=dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC), meter_id="42",
                active_power_import=2300, current_l1=10.0, current_l2=0.5, current_l3=0.0,
                voltage_l1=230.0, voltage_l2=231.0, voltage_l3=229.0, active_energy_import=5000)


class PtyMeter:
    """The simulated meter behind the master end of a pty pair (a thread)."""

    def __init__(self, meter: SimulatedMeter, *, lose_first: bool = False) -> None:
        self.meter = meter
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        self._slave = slave
        self._stop = threading.Event()
        self._lose_first = lose_first
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            r, _, _ = select.select([self.master], [], [], 0.05)
            if not r:
                continue
            try:
                data = os.read(self.master, 1024)
            except OSError:
                return
            ans = self.meter.receive(data)
            if self._lose_first and ans:
                self._lose_first = False       # the first answer is lost on the line
                continue
            if ans:
                os.write(self.master, ans)

    def __enter__(self) -> PtyMeter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.thread.join(timeout=2)
        os.close(self.master)
        os.close(self._slave)


def test_reader_polls_present_values_through_a_pty():
    from smartmeter_codecs.io.osgp_serial import MepSerialReader
    with PtyMeter(SimulatedMeter(MBK, tables=meter_tables(R))) as pty:
        with MepSerialReader(pty.path, MBK, min_gap=0, response_timeout=0.2) as reader:
            r = reader.poll()
            assert (r.active_power_import, r.current_l1, r.voltage_l2, r.active_energy_import) == (2300, 10.0, 231.0, 5000)
            assert r.authenticated is True and r.meter_id == "42" and r.timestamp == R.timestamp
            pty.meter.set_present_values(R.replace(active_power_import=11000, current_l1=16.0))
            r2 = reader.poll()
            assert (r2.active_power_import, r2.current_l1) == (11000, 16.0)


def test_reader_resends_after_a_lost_answer_and_reports_a_wrong_key():
    from smartmeter_codecs.io.osgp_serial import MepSerialReader
    with PtyMeter(SimulatedMeter(MBK, tables=meter_tables(R)), lose_first=True) as pty:
        with MepSerialReader(pty.path, MBK, min_gap=0, response_timeout=0.2) as reader:
            assert reader.poll().active_power_import == 2300
        with MepSerialReader(pty.path, bytes(16), min_gap=0, response_timeout=0.2) as reader:
            with pytest.raises(smc.ApplicationError) as exc:
                reader.poll()
            assert exc.value.code == 0x0B


def test_cli_polls_the_port(capsys, monkeypatch):
    monkeypatch.setenv("OSGP_MEP_KEY", "0123456789ABCDEFGHIJ")
    with PtyMeter(SimulatedMeter(MBK, tables=meter_tables(R))) as pty:
        rc = main(["osgp", pty.path, "--count", "2", "--interval", "0", "--json"])
    out = capsys.readouterr().out.splitlines()
    assert rc == 0 and len(out) == 2
    assert json.loads(out[1])["active_power_import"] == 2300


def test_cli_user_mistakes_are_one_line_errors(capsys, monkeypatch):
    monkeypatch.setenv("OSGP_MEP_KEY", "short")
    assert main(["osgp", "/dev/null-nonexistent"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: OSGP_MEP_KEY") and err.count("\n") == 1
    monkeypatch.setenv("OSGP_MEP_KEY", "0123456789ABCDEFGHIJ")
    assert main(["osgp", "/dev/does-not-exist-osgp"]) == 3          # the port: an I/O error (CLI convention)
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1


def test_cli_wrong_key_is_one_line_and_exit_1(capsys, monkeypatch):
    monkeypatch.setenv("OSGP_MEP_KEY", "ABCDEFGHIJ0123456789")
    with PtyMeter(SimulatedMeter(MBK, tables=meter_tables(R))) as pty:
        rc = main(["osgp", pty.path])
    err = capsys.readouterr().err
    assert rc == 1 and err.startswith("error: ApplicationError") and "0x0B" in err and err.count("\n") == 1
