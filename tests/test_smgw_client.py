"""The SMGW HTTPS client against a real HTTPS server on 127.0.0.1 (tests/_smgw_server.py).

The server has a self-signed certificate generated here, demands HTTP Digest and serves the
corpus responses; nothing is mocked.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import pathlib
from decimal import Decimal

import pytest
from _smgw_server import PASSWORD, USER, USERID, Gateway, make_certificate

import smartmeter_codecs as smc
from smartmeter_codecs import cli
from smartmeter_codecs.io.smgw_http import (
    SmgwAuthError,
    SmgwCertificateError,
    SmgwClient,
    SmgwConnectionError,
    SmgwHttpError,
    SmgwTimeoutError,
)
from smartmeter_codecs.smgw import digest, theben

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENTRIES = {e["id"]: e["body"] for e in json.loads((ROOT / "fixtures/smgw/responses.json").read_text())["entries"]}
THEBEN = {"user-info": ENTRIES["theben-ifgwcon-user-info-spec"],
          "usage-point-info": ENTRIES["theben-ifgwcon-usage-point-info-spec"],
          "readings": ENTRIES["theben-conexa-readings-field-2026"],
          "smgw-info": ENTRIES["theben-ifgwcon-smgw-info-spec"],
          "log": ENTRIES["theben-ifgwcon-log-spec"]}
EMH = {"emh-origin": ["1test000000001"], "emh-extended": ENTRIES["emh-casa-extended-anonymised-fixture"]}


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def other_cert(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("pki2"), "impostor")


def pin(der: bytes) -> str:
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())  # the openssl spelling


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
def test_theben_good_path(cert, algorithm):
    cert_path, key_path, der = cert
    with Gateway({"theben": THEBEN}, algorithm, cert_path, key_path) as gw, \
            SmgwClient("127.0.0.1", port=gw.port, username=USER, password=PASSWORD, fingerprint=pin(der)) as c:
        readings = c.poll()
        assert c.vendor == "theben" and c.userid == USERID
        r, = readings
        # field value 171165808 scaled with the spec's usage-point-info (scaler -1, Wh)
        assert r.register("1-0:1.8.0.255").value == Decimal("17116580.8")
        assert r.active_energy_import == 17116580.8
        assert r.timestamp == dt.datetime(2026, 8, 14, 18, 30, tzinfo=dt.timezone.utc)
        info = c.theben(theben.smgw_info_request())
        assert info.smgw_id == "ethe0300004261"
        log = c.theben(theben.log_request(count=10))
        assert log.entries[0].event_id == 16001
        with pytest.raises(SmgwHttpError) as err:
            c.theben(theben.self_test_request())
        assert err.value.status == 403 and "10 minutes" in str(err.value)
    methods = [json.loads(b)["method"] for m, p, b in gw.requests if m == "POST"]
    assert methods == ["user-info", "usage-point-info", "readings", "smgw-info", "log", "self-test"]
    posts = [b for m, p, b in gw.requests if m == "POST"]
    assert json.loads(posts[2]) == {"method": "readings", "usage-point-id": "01005e318021.taf1-1.sm",
                                    "database": "origin", "last-reading": True}


def test_emh_good_path_with_ca_file(cert):
    cert_path, key_path, _ = cert
    with Gateway(EMH, "SHA-256", cert_path, key_path) as gw, \
            SmgwClient("127.0.0.1", port=gw.port, username=USER, password=PASSWORD, cafile=cert_path) as c:
        r, = c.poll()
        assert c.vendor == "emh"
        assert (r.active_energy_import, r.active_energy_export, r.active_power_import) == (1234567.8, 987654.3, 500.0)
    assert [p for _, p, _ in gw.requests] == ["/smgw/m2m", "/json/metering/origin/", "/json/metering/origin/",
                                              "/json/metering/origin/1test000000001/extended"]


def test_session_reuse_counts_nonces(cert):
    cert_path, key_path, der = cert
    with Gateway(EMH, "MD5", cert_path, key_path) as gw, \
            SmgwClient("127.0.0.1", port=gw.port, username=USER, password=PASSWORD, fingerprint=pin(der),
                       vendor="emh") as c:
        for _ in range(3):
            c.emh_readings("1test000000001")
        # one challenge, then nc 1, 2, 3 on the same nonce (the server refuses a replayed nc),
        # all on one kept-alive TLS connection
        assert len(gw.nonces) == 1 and list(gw.seen_nc.values()) == [3]
        assert gw.connections == 1
        gw.nonces.clear()  # the gateway forgets the nonce: it answers 401 stale=true
        r, = c.emh_readings("1test000000001")
        assert r.active_energy_import == 1234567.8 and len(gw.nonces) == 1


def test_wrong_password(cert):
    cert_path, key_path, der = cert
    with Gateway({"theben": THEBEN}, "SHA-256", cert_path, key_path) as gw, \
            SmgwClient("127.0.0.1", port=gw.port, username=USER, password="wrong", fingerprint=pin(der)) as c:
        with pytest.raises(SmgwAuthError, match="401"):
            c.poll()
    assert gw.requests == []


def test_no_credentials(cert):
    cert_path, key_path, der = cert
    with Gateway({"theben": THEBEN}, "MD5", cert_path, key_path) as gw, \
            SmgwClient("127.0.0.1", port=gw.port, fingerprint=pin(der), vendor="theben") as c:
        with pytest.raises(SmgwAuthError, match="username and password"):
            c.discover_userid()


def test_wrong_fingerprint_sends_nothing(cert, other_cert):
    cert_path, key_path, _ = cert
    with Gateway({"theben": THEBEN}, "MD5", cert_path, key_path) as gw, \
            SmgwClient("127.0.0.1", port=gw.port, username=USER, password=PASSWORD,
                       fingerprint=pin(other_cert[2])) as c:
        with pytest.raises(SmgwCertificateError, match="pinned"):
            c.poll()
    assert gw.requests == [] and gw.nonces == set()  # not even the unauthenticated request


def test_wrong_ca(cert, other_cert):
    cert_path, key_path, _ = cert
    with Gateway({"theben": THEBEN}, "MD5", cert_path, key_path) as gw, \
            SmgwClient("127.0.0.1", port=gw.port, username=USER, password=PASSWORD, cafile=other_cert[0]) as c:
        with pytest.raises(SmgwCertificateError, match="does not verify"):
            c.poll()
    assert gw.nonces == set()


def test_certificate_checking_is_never_off():
    with pytest.raises(ValueError, match="fingerprint"):
        SmgwClient("127.0.0.1", username=USER, password=PASSWORD)
    with pytest.raises(ValueError, match="64 hex"):
        SmgwClient("127.0.0.1", fingerprint="abcd")


def test_timeout(cert):
    cert_path, key_path, der = cert
    with Gateway({"theben": THEBEN}, "MD5", cert_path, key_path) as gw, \
            SmgwClient("127.0.0.1", port=gw.port, username=USER, password=PASSWORD, fingerprint=pin(der),
                       timeout=0.3) as c:
        with pytest.raises(SmgwTimeoutError):
            c.theben_readings("slow")
        gw.release.set()


def test_malformed_body(cert):
    cert_path, key_path, der = cert
    with Gateway({"theben": THEBEN}, "SHA-256", cert_path, key_path) as gw, \
            SmgwClient("127.0.0.1", port=gw.port, username=USER, password=PASSWORD, fingerprint=pin(der)) as c:
        with pytest.raises(smc.IncompleteError):
            c.theben(theben.readings_request("malformed", last_reading=True))


def test_connection_refused(cert):
    cert_path, key_path, der = cert
    with Gateway({}, "MD5", cert_path, key_path) as gw:
        port = gw.port
    with SmgwClient("127.0.0.1", port=port, fingerprint=pin(der), timeout=2) as c:
        with pytest.raises(SmgwConnectionError):
            c.poll()


def test_cli_polls_the_gateway(cert, capsys, monkeypatch):
    cert_path, key_path, der = cert
    monkeypatch.setenv("SMGW_PASSWORD", PASSWORD)
    with Gateway(EMH, "SHA-256", cert_path, key_path) as gw:
        rc = cli.main(["smgw", f"https://127.0.0.1:{gw.port}", "--user", USER, "--fingerprint", pin(der),
                       "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    assert rc == 0 and len(out) == 1
    assert json.loads(out[0])["active_energy_import"] == 1234567.8


def test_cli_errors_are_one_line(cert, capsys, monkeypatch):
    cert_path, key_path, der = cert
    monkeypatch.setenv("SMGW_PASSWORD", "wrong")
    with Gateway(EMH, "MD5", cert_path, key_path) as gw:
        rc = cli.main(["smgw", f"https://127.0.0.1:{gw.port}", "--user", USER, "--fingerprint", pin(der)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 3 and len(err) == 1 and err[0].startswith("error: SmgwAuthError")
    rc = cli.main(["smgw", "https://127.0.0.1:1", "--user", USER])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "fingerprint" in err[0]
    monkeypatch.delenv("SMGW_PASSWORD")
    rc = cli.main(["smgw", "https://127.0.0.1:1", "--user", USER, "--fingerprint", pin(der)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "SMGW_PASSWORD" in err[0]


def test_digest_rfc7616_vectors():
    # RFC 7616 section 3.9.1 (username Mufasa, password "Circle of Life")
    header = ('Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, '
              'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",'
              ' Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, '
              'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"')
    sha, md5 = digest.parse_challenges(header)
    assert digest.choose([md5, sha]) is sha
    kw = dict(username="Mufasa", password="Circle of Life", method="GET", uri="/dir/index.html",
              cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
    assert 'response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"' in \
        digest.authorization(sha, **kw)
    assert 'response="8ca523f5e9506fed4657c9700eebdbec"' in digest.authorization(md5, **kw)
    with pytest.raises(ValueError):
        digest.parse_challenges('Digest realm="x"')
