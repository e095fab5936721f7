"""The project the command runs in: its hardware and models resolve by name, and its
baselines are found, as in a pytest run started in the same folder.

The configuration is found and read by the library (:mod:`pytest_roofline.core.project`,
:mod:`pytest_roofline.specs.declared`); here it is made the catalog names resolve in
while one command runs, and stepped aside afterwards, so a caller (a test calling
:func:`pytest_roofline.cli.main`) keeps its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from pytest_roofline.core import project
from pytest_roofline.errors import ConfigurationError
from pytest_roofline.specs import catalog as catalogs
from pytest_roofline.specs import declared
from pytest_roofline.specs.hardware import default_catalog
from pytest_roofline.specs.transformer import model_catalog


def root() -> Path:
    """The project's root folder, where ``.roofline/`` keeps its baselines."""
    return project.find(Path.cwd()).root


@contextlib.contextmanager
def catalogs_of_project(hardware_files: Sequence[str] = ()) -> Iterator[None]:
    """Names resolve against the built-in catalogs plus what the project declares
    (``hardware_files``, from ``--hardware-file``, replace the files it names)."""
    if any(not str(p).strip() for p in hardware_files):
        raise ConfigurationError(
            "--hardware-file: given an empty value (an unset variable in the command?);"
            " give a file or leave the option out"
        )
    folder = Path.cwd()
    found = declared.read(project.find(folder), hardware_files, folder)
    with contextlib.ExitStack() as stack:
        # Only what the project declares is built: the built-in models alone cost a
        # command that never names one a tenth of its time.
        if found.models:
            models = declared.add_models(model_catalog(), found)
            catalogs.activate(models)
            stack.callback(catalogs.deactivate, models)
        if found.hardware or found.hardware_files:
            hardware = declared.add_hardware(default_catalog().copy(), found)
            catalogs.activate(hardware)
            stack.callback(catalogs.deactivate, hardware)
        yield
