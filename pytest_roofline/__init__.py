"""pytest-roofline: roofline performance models as pytest assertions.

>>> from pytest_roofline import Hardware, bound, kernels
>>> b = bound(kernels.matmul(4096, 4096, 4096, "bf16"), "h100-sxm")
>>> b.bottleneck
'compute'

The public names load on first use. pytest imports this package for its entry point in
every run where the plugin is installed, used or not; the models behind these names
(pydantic, the catalogs) load only when a test, an option or a user reaches for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_roofline.errors import (
        ConfigurationError,
        DeclarationError,
        RooflineError,
        UnitError,
        UnknownNameError,
    )
    from pytest_roofline.measurement.figures import Measurement
    from pytest_roofline.measurement.timing import measure
    from pytest_roofline.physics.bound import Bound
    from pytest_roofline.physics.dispatch import bound
    from pytest_roofline.physics.serving import ServingBound
    from pytest_roofline.specs import kernels
    from pytest_roofline.specs.hardware import Catalog, Hardware
    from pytest_roofline.specs.kernels import Kernel
    from pytest_roofline.specs.serving import ServingConfig
    from pytest_roofline.specs.transformer import Transformer
    from pytest_roofline.verdict.record import Result
    from pytest_roofline.verdict.recorder import Recorder

__version__ = "0.1.0"

_HOMES = {
    "Bound": "pytest_roofline.physics.bound",
    "Catalog": "pytest_roofline.specs.hardware",
    "ConfigurationError": "pytest_roofline.errors",
    "DeclarationError": "pytest_roofline.errors",
    "Hardware": "pytest_roofline.specs.hardware",
    "Kernel": "pytest_roofline.specs.kernels",
    "Measurement": "pytest_roofline.measurement.figures",
    "Recorder": "pytest_roofline.verdict.recorder",
    "Result": "pytest_roofline.verdict.record",
    "RooflineError": "pytest_roofline.errors",
    "ServingBound": "pytest_roofline.physics.serving",
    "ServingConfig": "pytest_roofline.specs.serving",
    "Transformer": "pytest_roofline.specs.transformer",
    "UnitError": "pytest_roofline.errors",
    "UnknownNameError": "pytest_roofline.errors",
    "bound": "pytest_roofline.physics.dispatch",
    "measure": "pytest_roofline.measurement.timing",
}
"""Where each public name lives (DESIGN.md section 3); ``kernels`` is a module itself."""

_MODULES = {"kernels": "pytest_roofline.specs.kernels"}

_PROVIDERS = ("pytest_roofline.machine.calibration", "pytest_roofline.machine.detect")
"""The modules that register how ``local`` and ``auto`` resolve (the catalog, a layer
below, does not import them)."""


def __getattr__(name: str) -> Any:
    """Load a public name from its home on first use and keep it here.

    The machine layer comes first: it registers how ``local`` and ``auto`` resolve.
    """
    if name in _MODULES or name in _HOMES:
        for provider in _PROVIDERS:
            importlib.import_module(provider)
    if name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    elif name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
    else:
        raise AttributeError(f"module 'pytest_roofline' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "Bound",
    "Catalog",
    "ConfigurationError",
    "DeclarationError",
    "Hardware",
    "Kernel",
    "Measurement",
    "Recorder",
    "Result",
    "RooflineError",
    "ServingBound",
    "ServingConfig",
    "Transformer",
    "UnitError",
    "UnknownNameError",
    "__version__",
    "bound",
    "kernels",
    "measure",
]
