"""TLS with a self-signed certificate generated at test time, and the
`mmsla fix ping` / `mmsla fix serve-acceptance` commands as real processes."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quoter.fix.acceptance import acceptance_session
from quoter.fix.ping import ping
from quoter.fix.session import Session, SessionConfig
from quoter.fix.store import MemoryStore
from quoter.fix.transport import Acceptor
from tests.conftest import REPO
from tests.integration.fix.conftest import LoopThread

MMSLA = [str(Path(sys.executable).parent / "mmsla")]


@pytest.fixture
def cert(tmp_path: Path) -> tuple[Path, Path]:
    key, crt = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(crt),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return key, crt


def test_ping_over_tls_with_verified_self_signed_certificate(
    loop_thread: LoopThread, cert: tuple[Path, Path]
) -> None:
    key, crt = cert
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(crt, key)
    acceptor = Acceptor([acceptance_session()], ssl_context=server_ctx)
    loop_thread.run(acceptor.start())
    try:
        good = ssl.create_default_context(cafile=str(crt))
        result = loop_thread.run(ping("127.0.0.1", acceptor.port, "TW44", "ISLD", ssl_context=good))
        assert result.ok and result.round_trip_ms is not None, result
        untrusted = ssl.create_default_context()
        bad = loop_thread.run(
            ping("127.0.0.1", acceptor.port, "TW44", "ISLD", ssl_context=untrusted, timeout_s=5)
        )
        assert not bad.ok and "TLS" in (bad.reason or "")
        # the CLI with --tls --cafile
        proc = subprocess.run(
            [
                *MMSLA,
                "fix",
                "ping",
                "--host",
                "127.0.0.1",
                "--port",
                str(acceptor.port),
                "--sender",
                "TW44",
                "--target",
                "ISLD",
                "--tls",
                "--cafile",
                str(crt),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode == 0, proc.stderr
        assert "logon" in proc.stdout and "round trip" in proc.stdout
    finally:
        loop_thread.run(acceptor.stop())


def test_ping_reports_logon_rejection_text(loop_thread: LoopThread) -> None:
    venue = Session(
        SessionConfig("VENUE", "Q", "acceptor", credentials={"alice": "secret"}),
        store=MemoryStore(),
    )
    acceptor = Acceptor([venue])
    loop_thread.run(acceptor.start())
    try:
        ok = loop_thread.run(ping("127.0.0.1", acceptor.port, "Q", "VENUE", "alice", "secret"))
        assert ok.ok, ok
        proc = subprocess.run(
            [
                *MMSLA,
                "fix",
                "ping",
                "--host",
                "127.0.0.1",
                "--port",
                str(acceptor.port),
                "--sender",
                "Q",
                "--target",
                "VENUE",
                "--username",
                "alice",
                "--password",
                "x",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode == 1
        assert proc.stderr.strip() == (
            "mmsla fix ping: logon rejected: Invalid username or password"
        )
    finally:
        loop_thread.run(acceptor.stop())


def test_ping_refused_is_one_line_exit_1() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.run(
        [
            *MMSLA,
            "fix",
            "ping",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--sender",
            "A",
            "--target",
            "B",
            "--timeout",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused" in lines[0]


def test_serve_acceptance_command_until_sigint() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [*MMSLA, "fix", "serve-acceptance", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ},
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        proc = subprocess.run(
            [
                *MMSLA,
                "fix",
                "ping",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--sender",
                "TW44",
                "--target",
                "ISLD",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode == 0, proc.stderr
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=10)
    assert server.returncode in (0, 130)
    assert "Traceback" not in err
    assert "listening on 127.0.0.1" in out
