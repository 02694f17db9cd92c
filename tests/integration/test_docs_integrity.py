"""docs/integrity.md's stand-alone verifier (section 8) really verifies a real bundle, and
really refuses a tampered one: the document stays true."""

from __future__ import annotations

import hashlib
import io
import re
import runpy
import zipfile
from pathlib import Path

import pytest

from ledger.integrity import EvidenceScope
from ledger.interchange.demo import record_demo
from ledger.service.application import Ledger
from tests.integration.integrity_support import open_integrity

DOC = Path(__file__).parents[2] / "docs" / "integrity.md"


def by_hand_program(tmp_path: Path) -> Path:
    section = DOC.read_text().split("## 8. Re-implementing the check", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    program = tmp_path / "verify_by_hand.py"
    program.write_text(code.group(1))
    return program


def test_the_documented_verifier_checks_a_real_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        demo = record_demo(ledger)
        with open_integrity(ledger, tmp_path) as integrity:
            data = integrity.export_evidence(EvidenceScope.project(demo.project_id))
            key = integrity.public_key()
    finally:
        ledger.close()
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(data)
    program = by_hand_program(tmp_path)
    monkeypatch.setattr("sys.argv", ["verify_by_hand.py", str(bundle), key])
    runpy.run_path(str(program), run_name="__main__")
    out = capsys.readouterr().out
    assert "every event is in the signed log" in out
    assert out.count("\nok ") == 54

    # One byte of one event's state changed: the signed manifest no longer matches it.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    name = "events/000000000007.leaf"
    leaf = bytearray(files[name])
    leaf[-5] ^= 1
    files[name] = bytes(leaf)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        for n, content in files.items():
            archive.writestr(n, content)
    monkeypatch.setattr("sys.argv", ["verify_by_hand.py", str(tampered), key])
    with pytest.raises(AssertionError, match=r"000000000007\.leaf changed"):
        runpy.run_path(str(program), run_name="__main__")
    # The manifest rewritten to match (anyone can): its signature no longer does.
    files["manifest-sha256.txt"] = b"".join(
        f"{hashlib.sha256(c).hexdigest()}  {n}\n".encode()
        for n, c in sorted(files.items())
        if n not in ("manifest-sha256.txt", "manifest.sig")
    )
    with zipfile.ZipFile(tampered, "w") as archive:
        for n, content in files.items():
            archive.writestr(n, content)
    with pytest.raises(AssertionError, match=r"manifest\.sig does not sign this manifest"):
        runpy.run_path(str(program), run_name="__main__")
