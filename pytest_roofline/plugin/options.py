"""What pytest is told about the plugin: its options, ini keys and marker line.

Read at every pytest start, used or not, so it holds data only and imports nothing
heavy: the settings these options give are read and checked in :mod:`.settings`, when
a run uses the plugin.
"""

from __future__ import annotations

from typing import Any

import pytest

MARKER_HELP = (
    "roofline(kernel=None, *, serving=None, hardware=None, min_utilization=None,"
    " max_drop=None): declare"
    " the work this test does (a pytest_roofline Kernel, or a ServingConfig as serving=)"
    " and the hardware it runs on (a catalog name, 'local' or a Hardware); the test fails"
    " when the measured time reaches less than min_utilization of the roofline bound."
    " Measure or report with the `roofline` fixture."
)

OPTIONS: tuple[tuple[str, str, dict[str, Any], str], ...] = (
    (
        "hardware",
        "NAME",
        {},
        "default hardware of roofline tests: a catalog name or 'local' (this machine, measured)",
    ),
    ("json", "PATH", {}, "write every roofline result to PATH as JSON"),
    (
        "warn-only",
        "",
        {"action": "store_true"},
        "report roofline verdicts as warnings, never fail a test",
    ),
    (
        "min-utilization",
        "FRACTION",
        {},
        "default utilization budget in (0, 1] for tests whose marker sets none",
    ),
    ("max-time", "SECONDS", {}, "time budget of one roofline.measure() call"),
    (
        "markdown",
        "PATH",
        {},
        "write a Markdown gap report to PATH ('-': standard output)",
    ),
    ("html", "PATH", {}, "write a self-contained HTML gap report with roofline charts"),
    (
        "github-summary",
        "",
        {"action": "store_true"},
        "append the Markdown report to $GITHUB_STEP_SUMMARY when it is set",
    ),
    ("save", "NAME", {}, "save every result as baseline NAME (.roofline/NAME.json)"),
    (
        "compare",
        "NAME",
        {},
        "fail tests whose utilization dropped significantly since baseline NAME",
    ),
    (
        "max-drop",
        "FRACTION",
        {},
        "largest relative utilization drop --roofline-compare allows (default 0.1)",
    ),
    (
        "paired",
        "",
        {"action": "store_true"},
        "re-measure the binding ceiling of 'local' next to each test's measurement",
    ),
    (
        "strict-work",
        "",
        {"action": "store_true"},
        "fail a test whose declared FLOPs or bytes disagree with the work counted"
        " (by XLA for a JAX function, the arrays' bytes for numpy)",
    ),
    (
        "hardware-file",
        "PATH",
        {"action": "append"},
        "a TOML file of custom hardware (the catalog's schema; may repeat)",
    ),
    (
        "calibrate",
        "",
        {"action": "store_true"},
        "measure the 'local' ceilings when the"
        " run starts (and show them in the header) instead of on first use",
    ),
)
"""Each option: its name after ``--roofline-``, metavar, extra arguments and help. The
same setting is read from an ini key ``roofline_<name>`` (dashes as underscores)."""

DESTS = tuple("roofline_" + name.replace("-", "_") for name, *_ in OPTIONS)


def add_options(parser: pytest.Parser) -> None:
    """Declare every option and its ini key."""
    group = parser.getgroup("roofline", "roofline performance budgets")
    for (name, metavar, extra, help_text), dest in zip(OPTIONS, DESTS, strict=True):
        kwargs: dict[str, Any] = {"dest": dest, "default": None, "help": help_text, **extra}
        if metavar:
            kwargs["metavar"] = metavar
        group.addoption(f"--roofline-{name}", **kwargs)
        if extra.get("action") == "append":
            parser.addini(dest, help_text, type="paths", default=[])
        else:
            parser.addini(dest, help_text, type="string", default=None)


def given(config: pytest.Config) -> bool:
    """Whether this run configures the plugin at all: an option, an ini key or a
    ``[tool.pytest-roofline]`` table. Such a run sets the plugin up when it starts; any
    other run only when a test uses the marker or the fixture."""
    if any(config.getoption(dest) not in (None, False) for dest in DESTS):
        return True
    if any(config.getini(dest) not in (None, []) for dest in DESTS):
        return True
    pyproject = config.rootpath / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "tool.pytest-roofline" in text
