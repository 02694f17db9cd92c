"""`make run PORT=9000 HOST=0.0.0.0` serves there (default 127.0.0.1:8000); the demo's printed
URLs name an address a browser on this machine can open. (`make -n`: the commands, not run.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def planned(*variables: str) -> list[str]:
    done = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "run", *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if "accord " in line]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_takes_port_and_host() -> None:
    demo, serve = planned()[-2:]
    assert demo.endswith("accord demo --base-url http://127.0.0.1:8000")
    assert "accord serve --host 127.0.0.1 --port 8000" in serve
    demo, serve = planned("PORT=9000", "HOST=0.0.0.0")[-2:]
    assert demo.endswith("--base-url http://127.0.0.1:9000")
    assert "accord serve --host 0.0.0.0 --port 9000" in serve
