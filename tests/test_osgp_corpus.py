"""Every vector of the OSGP corpus (fixtures/osgp/corpus.json, a verbatim copy of
shared/corpus/osgp.json with its provenance) and the DG examples outside it
(fixtures/osgp/dg_examples.json) reproduce through the library."""
from __future__ import annotations

import datetime as dt
import json
import pathlib

import pytest

import smartmeter_codecs as smc
from smartmeter_codecs.osgp import (
    MeterConfig,
    TableRequest,
    decode_response,
    mep_key,
    next_frame,
    oma_digest,
    open_request,
    open_response,
    parse_packet,
    parse_request,
)
from smartmeter_codecs.osgp.c1218 import Code, ServiceRequest
from smartmeter_codecs.osgp.mep import classify, parse_tls
from smartmeter_codecs.osgp.optical import crc16
from smartmeter_codecs.osgp.rc4 import Rc4, plc_rc4_base_key, plc_rc4_packet_key
from smartmeter_codecs.osgp.tables import (
    parse_bt52,
    parse_dimensions,
    parse_et11,
    parse_procedure_request,
    parse_transaction,
)

FIX = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "osgp"
CORPUS = json.loads((FIX / "corpus.json").read_text())
DG = {e["id"]: e for e in json.loads((FIX / "dg_examples.json").read_text())["entries"]}
RC4 = CORPUS["mep_rc4_mode"]
KEY01 = smc.Keys(authentication_key="01" * 16)


def _capture() -> bytes:
    return b"".join(bytes.fromhex(v[k]) for v in RC4 for k in ("request_frame_hex", "response_frame_hex"))


@pytest.mark.parametrize("v", CORPUS["oma_digest"], ids=lambda v: v["digest_hex"])
def test_oma_digest_vectors(v):
    assert oma_digest(bytes.fromhex(v["key_hex"]), bytes.fromhex(v["message_hex"])).hex() == v["expected_hex" if "expected_hex" in v else "digest_hex"]
    assert smc.osgp.oma_digest is oma_digest            # public name the issue asks for


@pytest.mark.parametrize("v", RC4, ids=lambda v: v["name"])
def test_mep_example_digests_and_frames(v):
    key = bytes.fromhex(v["key_hex"])
    assert oma_digest(key, bytes.fromhex(v["request_digest_input_hex"])).hex() == v["request_digest_expected_hex"]
    assert oma_digest(key, bytes.fromhex(v["response_digest_input_hex"])).hex() == v["response_digest_expected_hex"]
    req = next_frame(bytes.fromhex(v["request_frame_hex"]))
    ex = open_request(req, [key])
    assert ex.key == key and not ex.encrypted
    assert ex.signed.hex() == v["request_digest_input_hex"]
    resp = next_frame(bytes.fromhex(v["response_frame_hex"]))
    answer, verified = open_response(resp, ex)
    assert verified is True
    # the response digest input is request message+seq followed by the answer message
    assert (ex.signed + answer.to_bytes(mep=True)).hex() == v["response_digest_input_hex"]


def test_mep_example_answers_are_decoded_as_the_guide_says():
    k = bytes.fromhex("01" * 16)
    ex = open_request(next_frame(bytes.fromhex(RC4[0]["request_frame_hex"])), [k])
    assert (ex.request.code, ex.request.table, ex.request.offset, ex.request.count, ex.seq) == (0x3F, 0x17, 0, 44, 0x01020304)
    ans, _ = open_response(next_frame(bytes.fromhex(RC4[0]["response_frame_hex"])), ex)
    assert (ans.code, ans.seq) == (0x0C, 0x77635B90)                     # invalid sequence number + the right one
    ex2 = open_request(next_frame(bytes.fromhex(RC4[1]["request_frame_hex"])), [k])
    assert ex2.seq == 0x77635B91                                          # recovery: the number + 1
    write = open_request(next_frame(bytes.fromhex(RC4[2]["request_frame_hex"])), [k]).request
    assert (write.code, write.table, write.offset, write.data) == (0x4F, 0x0832, 0x1E, b"\x01")


def test_mep_capture_decodes_with_the_guides_values():
    readings = smc.decode_all(_capture(), format="osgp-mep", keys=KEY01)
    assert [r.authenticated for r in readings] == [True, True, True]
    # BT23 read without BT21 in the capture: layout unknown, kept raw and said so
    bt23 = readings[0]
    assert bt23.active_energy_import is None and "BT21 not read" in bt23.quality
    assert bt23.register("BT23@0").value == bytes.fromhex(CORPUS["real_table_data"][3]["hex"])
    # ET53 transaction answer: BT20 and BT21 as the corpus decodes them
    txn = readings[2]
    for table, entry in (("BT21", CORPUS["real_table_data"][0]), ("BT20", CORPUS["real_table_data"][1])):
        d = entry["decoded"]
        want = {"NBR_SUMMATIONS": "summations", "NBR_DEMANDS": "demands", "NBR_TIERS": "tiers",
                "NBR_PRESENT_DEMANDS": "present_demands", "NBR_PRESENT_VALUES": "present_values",
                "NBR_SELF_READS": "self_reads", "NBR_OCCUR": "occurrences", "NBR_COIN_VALUES": "coincident_values",
                "max_self_reads": "self_reads", "max_summations": "summations", "max_demands": "demands",
                "max_coin_values": "coincident_values", "max_occur": "occurrences", "max_tiers": "tiers",
                "max_present_demands": "present_demands", "max_present_values": "present_values"}
        for k, field in want.items():
            if k in d:
                assert txn.register(f"{table}.{field}").value == d[k], (table, k)
    assert txn.register("BT21.reg_func1").value == 0x3F
    et11 = CORPUS["real_table_data"][2]["decoded"]
    for k in ("number_of_devices", "config_entry_size", "status_entry_size", "ondemand_queue_size", "ondemand_entry_size"):
        assert txn.register(f"ET11.{k}").value == et11[k]
    assert txn.register("ET11.data_entry_size").value == et11["data_entry_size_u16_le"] == 517
    assert txn.register("ET11.transaction_request_length").value == et11["transaction_request_length_u16_le"]
    assert "ET11.transaction_response_length" not in [r.key for r in txn.registers]   # only its low byte was read


def test_wrong_key_names_what_was_compared():
    with pytest.raises(smc.DecryptionError) as exc:
        smc.decode_all(_capture(), format="osgp-mep", keys=smc.Keys(authentication_key="02" * 16))
    e = exc.value
    assert e.offset == 14 and "74861f6d7658dd56" in e.message and "message + sequence number" in e.message


def test_damaged_answer_digest_names_both_spans():
    cap = bytearray(_capture())
    # flip one table-data byte of the BT23 answer (frame 4 starts at byte 59, data at 64)
    cap[64 + 16] ^= 1
    with pytest.raises(smc.DecryptionError) as exc:
        smc.decode_all(bytes(cap), format="osgp-mep", keys=KEY01)
    assert exc.value.offset == 108
    assert "request message + sequence number (frame at byte 37" in exc.value.message
    assert "47-byte response message" in exc.value.message


def test_bt23_example_decoded_with_its_dimensions():
    # RC4 Example 1's meter has no demand configured: 11 summations, no demand-reset byte
    # (the guide's decoded values; BT21 itself is not in that example)
    dims = parse_dimensions(bytes([0x03, 0x0E, 0, 11, 0, 0, 0, 4, 0, 26]))
    req = TableRequest(Code.READ_PARTIAL, 0x17, 0, 44)
    r = decode_response(bytes.fromhex(RC4[1]["response_frame_hex"]), request=req, keys=KEY01,
                        sequence=0x77635B91, config=MeterConfig(dimensions=dims))
    assert r.authenticated is True
    vals = [r.register(f"BT23.summation[{i}]").value for i in range(11)]
    assert vals == [0, 0, 0, 0, 8, 3, 0, 0, 0, 0, 6]
    assert r.register("BT23.summation[4]").unit == "s" and r.register("BT23.summation[10]").description == "Error counter"
    assert r.active_energy_import == 0 and r.active_energy_export == 0
    assert "energy register unit 1 Wh assumed" in r.quality          # BT15 not read: said


def test_bt52_example():
    clk = parse_bt52(bytes.fromhex(CORPUS["real_table_data"][4]["hex"]))
    assert clk.time == dt.datetime(2004, 2, 16, 15, 59, 55, tzinfo=dt.UTC)
    e = DG["dg-appendix-b-bt52-read"]
    r = smc.decode(e["capture_hex"], format="osgp-mep")
    assert r.timestamp.isoformat() == e["expect"]["timestamp"]
    assert r.authenticated is False and "not verified" in r.quality


def test_et11_little_endian():
    d = parse_et11(bytes.fromhex(CORPUS["real_table_data"][2]["hex"]))
    assert d["data_entry_size"] == 517 and d["transaction_request_length"] == 769


def test_dg_ep17_procedure_call():
    e = DG["dg-ep17-remove-mep-device"]
    cap = bytes.fromhex(e["capture_hex"])
    assert smc.decode_all(cap, format="osgp-mep", keys=smc.Keys(authentication_key=e["key_hex"])) == []
    ex = open_request(next_frame(cap), [bytes.fromhex(e["key_hex"])])
    p = parse_procedure_request(ex.request.data)
    assert (p.procedure, p.sequence, p.parameters.hex()) == (e["expect"]["procedure"], e["expect"]["psn"],
                                                              e["expect"]["parameters_hex"])
    assert p.procedure == 2048 + 17


def test_dg_transaction_structure():
    e = DG["dg-transaction-read-request-structure"]
    t = parse_transaction(bytes.fromhex(e["table_data_hex"]))
    assert t.number == e["expect"]["number"] and t.kind == 0
    assert [i.message.hex() for i in t.items] == e["expect"]["commands"]
    assert parse_request(t.items[0].message) == TableRequest(0x3F, 0x17, 0, 44)


def test_plc_rc4_exercise_vector():
    v = CORPUS["osgp_plc_rc4_exercise"]
    k = bytes.fromhex(v["oma_key_hex"])
    assert plc_rc4_base_key(k).hex() == v["rc4_base_key_hex"]
    tag = bytes.fromhex(v["tag_hex"])
    assert plc_rc4_packet_key(k, tag).hex() == v["rc4_packet_key_hex"]
    wire = bytes.fromhex(v["ciphertext_plus_tag_hex"])
    plain = Rc4(plc_rc4_packet_key(k, tag)).apply(wire[:-8])
    assert plain.decode() == v["plaintext_ascii"] and oma_digest(k, plain) == wire[-8:] == tag


@pytest.mark.parametrize("v", CORPUS["c1218_optical_crc"], ids=lambda v: v["crc_le_hex"])
def test_optical_crc_vectors(v):
    head = bytes.fromhex(v["frame_without_crc_hex"])
    assert crc16(head).to_bytes(2, "little").hex() == v["expected_hex"]
    p = parse_packet(head + bytes.fromhex(v["crc_le_hex"]))
    assert p.data == head[6:]
    bad = head + bytes([bytes.fromhex(v["crc_le_hex"])[0] ^ 0xFF, bytes.fromhex(v["crc_le_hex"])[1]])
    with pytest.raises(smc.ChecksumError) as exc:
        parse_packet(bad)
    assert exc.value.offset == len(head)


def test_optical_vectors_meaning():
    frames = {v["crc_le_hex"]: bytes.fromhex(v["frame_without_crc_hex"]) + bytes.fromhex(v["crc_le_hex"])
              for v in CORPUS["c1218_optical_crc"]}
    p = parse_packet(frames["c029"])
    assert parse_request(p.data, mep=False) == TableRequest(0x3F, 28, 0x010203, 8)
    assert parse_packet(frames["03f2"]).toggle is True
    assert parse_request(parse_packet(frames["03f2"]).data, mep=False) == TableRequest(0x3F, 23, 0, 8)
    assert parse_packet(frames["806d"]).data == ServiceRequest.security("0123456789abcdefghij").to_bytes()
    assert parse_packet(frames["1d15"]).data == ServiceRequest.negotiate(64, 2, 6).to_bytes()
    assert parse_packet(frames["e760"]).data == ServiceRequest.logon(1, "0000").to_bytes()
    # the library's builders give these exact packets (CRC included)
    from smartmeter_codecs.osgp import build_packet
    assert build_packet(ServiceRequest.security("0123456789abcdefghij").to_bytes()) == frames["806d"]
    assert build_packet(TableRequest(0x3F, 23, 0, 8).to_bytes(mep=False), toggle=True) == frames["03f2"]


def test_optical_corpus_session_decodes():
    frames = {v["crc_le_hex"]: bytes.fromhex(v["frame_without_crc_hex"]) + bytes.fromhex(v["crc_le_hex"])
              for v in CORPUS["c1218_optical_crc"]}
    # requests and the meter's ident/terminate answers as the openHAB test pairs them
    session = frames["e760"] + b"\x06" + frames["1131"] + b"\x06" + frames["806d"] + b"\x06" + frames["1131"]
    assert smc.decode_all(session, format="osgp-optical") == []
    assert smc.inspect(session).format == "osgp-optical"


@pytest.mark.parametrize("v", CORPUS["mep_tls_mode_frames"], ids=lambda v: v["direction"])
def test_tls_mode_frames(v):
    frame = next_frame(bytes.fromhex(v["frame_hex"]))
    kind = classify(frame.body)
    assert kind == ("tls-request" if v["direction"] == "client->meter" else "tls-response")
    msg = parse_tls(frame, kind[4:])
    assert [r.content_name for r in msg.records] == ["application_data"]
    rec = msg.records[0]
    assert rec.version == 0x0303 and len(rec.fragment) == 8 + (len(bytes.fromhex(v["frame_hex"])) - 3 - 5 - 8)
    assert smc.decode_all(v["frame_hex"], format="osgp-mep") == []      # TLS content belongs to the TLS stack
    if "plaintext_c1218_hex" in v:
        # what a TLS stack hands back decodes with the same C12.18 layer
        assert parse_request(bytes.fromhex(v["plaintext_c1218_hex"])) == TableRequest(0x3F, 0x0846, 0x8E, 1)


def test_mep_key_forms():
    assert mep_key("01" * 16) == bytes([1] * 16)
    assert mep_key("01" * 20) == bytes([1] * 16)
    assert mep_key(bytes(range(20))) == bytes(range(16))
    text = "0123456789ABCDEF0123"           # Danish DSO key: looks like hex, used as ASCII
    assert mep_key(text) == text.encode()[:16]
    with pytest.raises(ValueError):
        mep_key("short")
    with pytest.raises(ValueError):
        oma_digest(bytes(17), b"")
    # a 20-byte or 20-character MEP key is used by its first 16 bytes (DG "Access Levels")
    v = RC4[0]
    msg = bytes.fromhex(v["request_digest_input_hex"])
    assert oma_digest(bytes([1] * 16) + b"\xaa\xbb\xcc\xdd", msg).hex() == v["request_digest_expected_hex"]
    assert oma_digest(text, msg) == oma_digest(text.encode()[:16], msg)
