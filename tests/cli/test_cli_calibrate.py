"""`roofline calibrate`: the machine layer is loaded to measure, and the time it took is
said. The real calibration runs in tests/machine/test_ceilings.py alone; here ``local``
resolves to made-up ceilings through the catalog names resolve in."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from pytest_roofline import Hardware
from pytest_roofline.cli import main
from pytest_roofline.specs import catalog
from pytest_roofline.specs.hardware import builtin_catalog


@pytest.fixture
def made_up_local(fake_local: Hardware) -> Iterator[Hardware]:
    """``local`` resolves to ``fake_local`` while the test runs."""
    found = builtin_catalog().copy(local=lambda: fake_local)
    catalog.activate(found)
    yield fake_local
    catalog.deactivate(found)


def test_calibrate_says_how_long_it_took(
    made_up_local: Hardware, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calibrate"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("local")
    assert any(line.split()[:2] == ["fp32", "100"] for line in lines)  # 1e11 FLOP/s
    assert re.fullmatch(r"calibration took \d+\.\d\d s", lines[-1])


def test_the_command_loads_what_resolves_local_and_auto() -> None:
    # Without the machine layer the names 'local' and 'auto' have no provider, and
    # `roofline calibrate` could only say so.
    code = (
        "import sys, pytest_roofline.cli;"
        "print(sorted(m for m in ('pytest_roofline.machine.calibration',"
        " 'pytest_roofline.machine.detect') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [
        "['pytest_roofline.machine.calibration',",
        "'pytest_roofline.machine.detect']",
    ]
