"""pytest-roofline: roofline performance models as pytest assertions.

>>> from pytest_roofline import Hardware, bound, kernels
>>> b = bound(kernels.matmul(4096, 4096, 4096, "bf16"), "h100-sxm")
>>> b.bottleneck
'compute'
"""

from __future__ import annotations

from . import kernels
from .bound import Bound, bound
from .errors import (
    ConfigurationError,
    DeclarationError,
    RooflineError,
    UnitError,
    UnknownNameError,
)
from .hardware import Catalog, Hardware
from .kernels import Kernel
from .measure import Measurement, measure
from .recorder import Recorder
from .results import Result
from .serving import ServingBound, ServingConfig
from .transformer import Transformer

__version__ = "0.1.0"

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
