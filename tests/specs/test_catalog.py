"""The one generic catalog (specs/catalog.py): devices and models resolve the same way,
one active-catalog mechanism serves both, and ``local`` and ``auto`` come from
providers the machine layer registers."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pytest_roofline import Hardware, Transformer, UnknownNameError
from pytest_roofline.errors import DeclarationError
from pytest_roofline.specs import catalog
from pytest_roofline.specs.hardware import Catalog, default_catalog
from pytest_roofline.specs.transformer import ModelCatalog, model_catalog

BOX = Hardware(name="lab-box", aliases=("box",), peak_flops={"fp32": 1e12}, memory_bandwidth=1e11)
TINY = Transformer(
    **{
        **Transformer.named("llama-2-7b").model_dump(exclude={"name", "aliases", "params"}),
        "name": "tiny-lm",
        "aliases": ("tiny",),
    }
)


@pytest.mark.parametrize(
    ("made", "entry", "other"),
    [(lambda: Catalog([BOX]), BOX, "lab-bux"), (lambda: ModelCatalog([TINY]), TINY, "tiny-lx")],
    ids=["hardware", "models"],
)
def test_devices_and_models_resolve_the_same_way(made, entry, other) -> None:
    held = made()
    assert held.lookup(entry.name.upper().replace("-", "_")) is entry  # normalized
    assert held.lookup(entry.aliases[0]) is entry
    assert held.lookup(entry) is entry  # an entry passes through
    with pytest.raises(UnknownNameError, match=f"did you mean '{entry.name}'"):
        held.lookup(other)
    with pytest.raises(DeclarationError, match="already in the catalog"):
        held.add(entry)
    twin = held.copy()
    twin.add(entry, replace=True)
    assert held.names() == twin.names() == [entry.name]


def test_one_mechanism_activates_each_kind_on_its_own(builtin_catalogs: None) -> None:
    devices = default_catalog().copy()
    devices.add(BOX)
    models = model_catalog().copy()
    models.add(TINY)
    catalog.activate(devices)
    try:
        assert default_catalog() is devices
        assert "tiny-lm" not in model_catalog().names()  # models are their own kind
        catalog.activate(models)
        assert model_catalog() is models
        catalog.deactivate(models)
        assert model_catalog() is not models
    finally:
        catalog.deactivate(devices)
    assert default_catalog() is not devices


def test_local_without_the_machine_layer_is_one_line_saying_where_it_lives() -> None:
    """The catalog does not import the machine layer (it sits below it): a deep import
    that skips the public names gets one line saying what resolves ``local``."""
    code = (
        "from pytest_roofline.specs.hardware import Hardware\n"
        "try:\n"
        "    Hardware.named('local')\n"
        "except Exception as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.count("\n") == 1
    assert done.stdout.startswith("DeclarationError hardware 'local' is resolved by")
    assert "pytest_roofline.machine.calibration" in done.stdout


def test_the_public_names_load_the_providers() -> None:
    code = (
        "import pytest_roofline\n"
        "pytest_roofline.Hardware\n"
        "from pytest_roofline.specs.hardware import default_catalog\n"
        "import sys\n"
        "print('pytest_roofline.machine.calibration' in sys.modules,"
        " 'pytest_roofline.machine.detect' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["True", "True"]
