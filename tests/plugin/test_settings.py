"""Settings (plugin/settings.py) from the command line, ini files and
[tool.pytest-roofline], first one wins; two outputs never share a path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_roofline.errors import ConfigurationError
from pytest_roofline.plugin.settings import (
    Settings,
    check_outputs,
    read_pyproject,
    resolve,
)
from pytest_roofline.specs.hardware import default_catalog

# Source patterns, most important first, as the plugin names them.
CLI = "--roofline-{dashed}"
INI = "ini roofline_{key}"
PYPROJECT = "[tool.pytest-roofline] {key}"


def settings(cli: dict[str, Any], ini: dict[str, Any], pyproject: dict[str, Any]) -> Settings:
    return resolve([(CLI, cli), (INI, ini), (PYPROJECT, pyproject)], default_catalog())


def test_nothing_given_gives_the_defaults() -> None:
    assert settings({}, {}, {}) == Settings()


def test_first_source_wins() -> None:
    s = settings(
        {"hardware": "h100-sxm", "min_utilization": 0.5},
        {"hardware": "l4", "min_utilization": "0.3", "max_time": "2 s", "json": "ini.json"},
        {"hardware": "a100-sxm4-80gb", "max_time": 9, "json": "py.json", "warn_only": True},
    )
    assert s.hardware == "h100-sxm"
    assert s.min_utilization == 0.5
    assert s.max_time == 2.0
    assert s.json_path == Path("ini.json")
    assert s.warn_only is True


def test_later_sources_fill_what_earlier_ones_leave_out() -> None:
    s = settings({}, {}, {"hardware": "l4", "min_utilization": "30%", "max_time": "500 ms"})
    assert s.hardware == "l4"
    assert s.min_utilization == pytest.approx(0.3)
    assert s.max_time == pytest.approx(0.5)


def test_empty_string_and_none_count_as_not_given() -> None:
    s = settings(
        {"hardware": "", "min_utilization": None, "warn_only": ""},
        {"hardware": None, "min_utilization": "", "warn_only": "yes"},
        {"hardware": "l4", "min_utilization": 0.7, "warn_only": False},
    )
    assert s.hardware == "l4"
    assert s.min_utilization == 0.7
    assert s.warn_only is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("1", True), ("On", True), ("no", False), ("0", False), (False, False)],
)
def test_warn_only_spellings(text: object, expected: bool) -> None:
    assert settings({}, {"warn_only": text}, {}).warn_only is expected


@pytest.mark.parametrize(
    ("key", "value", "where", "what"),
    [
        ("min_utilization", 40, "ini roofline_min_utilization", "did you mean 0.4"),
        ("min_utilization", "abc", "ini roofline_min_utilization", "min_utilization"),
        ("min_utilization", 0, "ini roofline_min_utilization", "(0, 1]"),
        ("max_time", "abc", "ini roofline_max_time", "'abc'"),
        ("max_time", 0, "ini roofline_max_time", "> 0"),
        ("max_time", "-1 s", "ini roofline_max_time", "> 0"),
        ("max_time", "3 parsecs", "ini roofline_max_time", "parsecs"),
        ("hardware", "h1000", "ini roofline_hardware", "did you mean"),
        ("warn_only", "maybe", "ini roofline_warn_only", "true or false"),
        ("calibrate", "sometimes", "ini roofline_calibrate", "true or false"),
    ],
)
def test_bad_values_name_their_source(key: str, value: object, where: str, what: str) -> None:
    # The bad value sits in the ini; the command line gives nothing for it, the
    # pyproject a good value that must not be reached.
    good = {"min_utilization": 0.5, "max_time": 1, "hardware": "l4", "warn_only": True}
    with pytest.raises(ConfigurationError) as caught:
        settings({key: ""}, {key: value}, {**good, "calibrate": False})
    message = str(caught.value)
    assert where in message
    assert what in message
    assert "\n" not in message


def test_bad_value_from_the_command_line_names_the_option() -> None:
    with pytest.raises(ConfigurationError, match="--roofline-min-utilization"):
        settings({"min_utilization": "1.5"}, {}, {})


def test_bad_value_in_a_shadowed_source_is_not_read() -> None:
    # Only the winning value is checked: the pyproject's "nonsense" is never used.
    s = settings({"max_time": "1 s"}, {}, {"max_time": "nonsense"})
    assert s.max_time == 1.0


def test_read_pyproject_missing_file(tmp_path: Path) -> None:
    assert read_pyproject(tmp_path / "pyproject.toml") == {}


def test_read_pyproject_without_the_section(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert read_pyproject(path) == {}


def test_read_pyproject_reads_the_section(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[project]\nname = "x"\n\n'
        "[tool.pytest-roofline]\n"
        'hardware = "h100-sxm"\n'
        "min_utilization = 0.4\n"
        'max_time = "2 s"\n'
        "warn_only = true\n",
        encoding="utf-8",
    )
    assert read_pyproject(path) == {
        "hardware": "h100-sxm",
        "min_utilization": 0.4,
        "max_time": "2 s",
        "warn_only": True,
    }


def test_read_pyproject_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.pytest-roofline]\nmin_utilisation = 0.4\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        read_pyproject(path)
    message = str(caught.value)
    assert str(path) in message
    assert "'min_utilisation'" in message
    assert "did you mean 'min_utilization'" in message


def test_read_pyproject_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.pytest-roofline\nhardware = \n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not valid TOML") as caught:
        read_pyproject(path)
    assert str(path) in str(caught.value)


def test_read_pyproject_section_must_be_a_table(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool]\npytest-roofline = "h100"\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match="must be a table"):
        read_pyproject(path)


def with_outputs(**values: object) -> Settings:
    return Settings.model_validate(values)


def test_two_outputs_on_one_path_are_refused_whatever_their_spelling(tmp_path: Path) -> None:
    check_outputs(with_outputs(json_path="r.json", markdown="r.md"), tmp_path, {})
    with pytest.raises(ConfigurationError, match="--roofline-json and --roofline-html both"):
        check_outputs(with_outputs(json_path="r.json", html="./sub/../r.json"), tmp_path, {})
    (tmp_path / "real.json").write_text("")
    (tmp_path / "link.json").symlink_to(tmp_path / "real.json")
    with pytest.raises(ConfigurationError, match="both write"):
        check_outputs(with_outputs(json_path="real.json", markdown="link.json"), tmp_path, {})
    # "-" is the job summary, never a file.
    check_outputs(with_outputs(markdown="-", html="-x"), tmp_path, {})


def test_saving_over_the_compared_baseline_is_allowed_but_a_report_over_it_is_not(
    tmp_path: Path,
) -> None:
    main = tmp_path / ".roofline" / "main.json"
    check_outputs(
        with_outputs(save="main", compare="main"), tmp_path, {"save": main, "compare": main}
    )
    with pytest.raises(ConfigurationError, match=r"would overwrite .*main\.json, the baseline"):
        check_outputs(with_outputs(json_path=".roofline/main.json"), tmp_path, {"compare": main})
