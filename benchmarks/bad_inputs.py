"""Bad inputs on every surface: what the plugin and the ``roofline`` command do with them.

Run: python benchmarks/bad_inputs.py [--only SURFACE,...] [--jobs N]
                                     [--match TEXT] [--list] [--keep] [--show-clean]

Feeds the product several hundred bad inputs, as a user or a broken CI job would give
them, and classifies what happens to each (issue 19; DESIGN.md sections 5 and 6). The
surfaces (``--only`` takes these names, comma-separated):

- ``marker``: ``@pytest.mark.roofline(...)`` arguments (kernel, serving, hardware,
  min_utilization, max_drop, unknown keywords);
- ``kernels``: work built while Python imports a test module (``kernels.matmul``,
  ``Kernel(...)``, ``kernels.custom``, ``kernels.decode_step``, ``Transformer`` and
  ``ServingConfig`` fields);
- ``fixture``: ``roofline.declare``, ``report``, ``measure``, ``report_engine_result``, an
  assignment, and a session-scoped fixture whose teardown calls ``report()``;
- ``engine``: engine result files (vLLM ``bench serve`` JSON, SGLang JSON lines, vLLM offline
  throughput JSON, trtllm-bench reports, LMDeploy CSV, SGLang offline lines): missing keys,
  wrong types, huge or tiny numbers, deep nesting, binary, a file of another model than
  the one declared, a prefill against a file without TTFT;
- ``hwfile``: ``--roofline-hardware-file`` TOML files;
- ``pyproject`` and ``ini``: ``[tool.pytest-roofline]`` keys and ``roofline_*`` ini keys;
- ``options``: command-line options, among them two outputs on one path and paths that
  cannot be written;
- ``baseline``: ``.roofline/NAME.json`` read by ``--roofline-compare NAME``;
- ``cli``: ``roofline serving``, ``summary``, ``report``, ``diff``, ``plot``, ``hardware``;
- ``hfconfig``: a Hugging Face ``config.json`` read by ``roofline serving --hf-config`` and by
  ``Transformer.from_hf_config`` at import;
- ``xdist``: a selection of the per-test cases again under ``-n 2``;
- ``crash``: ``kill -9`` in the middle of writing the reports and the baseline, and two
  runs writing the same report and baseline at once.

Each pytest case runs ``python -m pytest -p no:randomly -p no:cacheprovider -rA
--continue-on-collection-errors`` in a fresh folder under a temporary directory, with the
bad test next to good roofline tests (``test_good.py``: a GEMM and a serving test on
catalog hardware; ``test_bad.py::test_good_neighbour`` after the bad test) and, unless the
case is about outputs, ``--roofline-json out.json --roofline-markdown out.md``. ``CI=1`` is
set so pytest shows each failure's whole message in the short summary, as CI logs do.
Collection errors do not stop the run (``--continue-on-collection-errors``): pytest's own
"interrupted" is not the plugin's doing, and the good tests should still be judged.
Command-line cases run ``python -m pytest_roofline ...``.

The classes, most severe first (a case gets the first that applies; the others it also
showed are listed after it):

- ``lost data``: a good test's row is missing from ``out.json`` or ``out.md``; a test that
  used the marker ran and has no row in ``out.json``; a report or baseline is missing or
  unreadable after the summary said it was written; a file given as an output holds
  something else (Markdown in the JSON report, a rendered report over its own input); a
  run refused at start for the bad input of one test (its neighbours lost their
  results); or the run hung (killed after the time limit, nothing written);
- ``INTERNALERROR``: that string in the output;
- ``traceback``: a Python traceback, pytest frames from inside ``pytest_roofline/``, or a
  pydantic validation dump (``validation error(s) for``);
- ``unclear``: there is an error line, but it does not name the culprit (every case lists
  the substrings its line must hold: the option, key or argument, the file), spans more
  than one line, is longer than 300 characters, echoes a value longer than 100
  characters, shows a Python repr (``KeyError('x')``), names a temporary file instead of
  the output, or blames an innocent test;
- ``silent``: the bad input was accepted with no error or warning at all (a verdict on
  the nonsense, such as IMPOSSIBLE for ``"completed": 0.5``, counts as accepted), or a
  command exited 0 (printing ``nan`` or ``inf``, say). A few inputs may rightly be
  accepted (``report(seconds="1.2 ms")``: figures take units); those are clean either way;
- ``leftover``: after a ``kill -9`` and one more normal run, temporary files (``.*.tmp``)
  are still there, outside what ``.roofline/.gitignore`` ignores;
- ``clean``: one line naming the culprit, everything else kept.

A command-line case is clean when the command exits non-zero with exactly one stderr line
naming the culprit (argparse's own usage lines before its ``error:`` line are allowed).

An unwritable folder is made with ``chmod``, or, as root (whom permissions do not stop),
with ``chattr +i``. ``--match TEXT`` runs the cases whose name holds TEXT, ``--list`` lists
them, ``--keep`` keeps each case's folder to look into, ``--show-clean`` lists the clean
cases too, each with the line that was judged (to check the judgement). The processes
inherit the environment: ``PYTHONPATH=/a/copy python benchmarks/bad_inputs.py`` judges a
copy of ``pytest_roofline`` (a fixed state while the working tree changes).

The table counts the classes per surface; every case that is not clean follows, grouped
by class, with the line that made it so. The exit status is 0 whatever was found. The
whole campaign (653 cases) takes 5 to 8 minutes on 2 cores with ``--jobs 2``.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

CLASSES = ("lost data", "INTERNALERROR", "traceback", "unclear", "silent", "leftover", "clean")
SURFACES = (
    "marker",
    "kernels",
    "fixture",
    "engine",
    "hwfile",
    "pyproject",
    "ini",
    "options",
    "baseline",
    "cli",
    "hfconfig",
    "xdist",
    "crash",
)
TIMEOUT = 180.0
"""Seconds a case may run before it is killed (and counted as hung)."""
MAX_MESSAGE = 300
"""Characters an error message may take (after pytest's ``FAILED node - `` prefix)."""
MAX_ECHO = 100
"""The longest run of non-blank characters a message may hold: longer, it echoes a value."""
SHOWN = 220
"""Characters of an offending line the report shows."""

Content = str | bytes | Callable[[], bytes]
"""A file's content; a callable builds it when the case runs (from the valid report)."""

GOOD_NODES = (
    "test_good.py::test_good_gemm",
    "test_good.py::test_good_serving",
    "test_bad.py::test_good_neighbour",
)
VERDICT = re.compile(
    r"of its bound|faster than the roofline allows|ended without a measurement|dropped to"
)
"""A failure that is a verdict on the figures: the input was accepted."""
INSIDE_FRAME = re.compile(r"pytest_roofline/[\w/]+\.py:\d+: (?!\w*Warning)")
INSIDE_WARNING = re.compile(r"pytest_roofline/[\w/]+\.py:\d+: \w*Warning")
PYDANTIC_DUMP = re.compile(r"\d+ validation errors? for ")
PROBLEM_LINE = re.compile(
    r"^roofline: .*(could not|cannot|not saved|comparing nothing|not found|not readable|"
    r"corrupt|unknown|invalid|ignor|must|error|schema|not a |refus)",
    re.IGNORECASE,
)
PYTHON_REPR = re.compile(r"\b[A-Z]\w*(Error|Exception)\(|\[Errno \d+\]")
"""``KeyError('utilization_ci')`` or ``[Errno 13]`` in a message: Python's, not a sentence."""
TEMPORARY = re.compile(r"/\.[^/\s]+\.tmp\b")
SUMMARY_WORDS = ("PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS")


# -- running a process ------------------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def text(self) -> str:
        return self.stdout + "\n" + self.stderr


def environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every process: CI=1 (whole messages in pytest's summary), no
    GitHub step summary, no PYTEST_ADDOPTS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GITHUB_"))}
    env.update({"CI": "1", "COLUMNS": "120", "PYTHONDONTWRITEBYTECODE": "1"})
    env.update(extra or {})
    return env


def start(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,  # its own process group: xdist workers die with it
    )


def finish(process: subprocess.Popen[str], timeout: float = TIMEOUT) -> Proc:
    """Wait for ``process``; past ``timeout``, kill its process group."""
    try:
        out, err = process.communicate(timeout=timeout)
        return Proc(process.returncode, out, err)
    except subprocess.TimeoutExpired:
        kill_group(process)
        out, err = process.communicate()
        return Proc(process.returncode, out, err, timed_out=True)


def kill_group(process: subprocess.Popen[str]) -> None:
    """SIGKILL the process group this campaign started for ``process``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def run(argv: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> Proc:
    return finish(start(argv, cwd, env))


PYTEST = (sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider")
ROOFLINE = (sys.executable, "-m", "pytest_roofline")


def write_files(folder: Path, files: Mapping[str, Content]) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content() if callable(content) else content
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)


# -- reading pytest's output -------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One entry of pytest's short test summary (``-rA``), continuation lines included."""

    word: str
    nodeid: str
    message: str
    lines: int

    @property
    def line(self) -> str:
        return f"{self.word} {self.nodeid}" + (f" - {self.message}" if self.message else "")


def summary_entries(stdout: str) -> list[Entry]:
    entries: list[Entry] = []
    inside = False
    current: list[str] = []

    def close() -> None:
        if current:
            head, *rest = current
            word, _, tail = head.partition(" ")
            nodeid, _, message = tail.partition(" - ")
            text = "\n".join([message, *rest]).strip("\n")
            entries.append(Entry(word, nodeid.strip(), text, 1 + len(rest)))
            current.clear()

    for line in stdout.splitlines():
        if re.match(r"^=+ short test summary info =+$", line):
            inside = True
            continue
        if not inside:
            continue
        if re.match(r"^=+ .* =+$", line) or re.match(r"^=+$", line):
            close()
            inside = False
            continue
        if line.split(" ", 1)[0] in SUMMARY_WORDS:
            close()
            current.append(line)
        elif current:
            current.append(line)
    close()
    return entries


def usage_error(proc: Proc) -> str | None:
    """The ``ERROR: ...`` block pytest prints for a usage error, if any."""
    lines = proc.stderr.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("ERROR: "):
            block = [line[len("ERROR: ") :]]
            block += [rest for rest in lines[i + 1 :] if rest.strip()]
            return "\n".join(block)
    return None


def warning_lines(stdout: str) -> list[str]:
    inside = False
    found = []
    for line in stdout.splitlines():
        if re.match(r"^=+ warnings summary", line):
            inside = True
        elif inside and (line.startswith("=") or line.startswith("-- Docs")):
            inside = False
        elif inside and "Warning: " in line:
            found.append(line.strip())
    return found


def problem_lines(proc: Proc) -> list[str]:
    return [line for line in proc.text.splitlines() if PROBLEM_LINE.match(line)]


def internal_error(text: str) -> str | None:
    lines = [line for line in text.splitlines() if "INTERNALERROR" in line]
    if not lines:
        return None
    errors = [line for line in lines if re.search(r"(Error|Exception|Interrupt)\b.*", line)]
    return (errors or lines)[-1]


def traceback_line(text: str) -> str | None:
    """The exception line of a Python traceback, a frame from inside the plugin, or a
    pydantic dump, if the output holds one."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "Traceback (most recent call last)" in line:
            for after in lines[i + 1 :]:
                bare = after.removeprefix("INTERNALERROR> ")
                if bare and not bare.startswith(" ") and "Traceback" not in bare:
                    return f"Traceback ... {bare}"
            return line
    for i, line in enumerate(lines):
        if INSIDE_FRAME.search(line):
            error = next((x for x in lines[i:] if x.startswith("E ")), "")
            return f"{line.strip()} {error.strip()}".strip()
    for line in lines:
        if PYDANTIC_DUMP.search(line):
            return line.strip()
    return None


def guess_kind(text: str) -> str:
    stripped = text.lstrip()
    if not stripped:
        return "nothing"
    if stripped.startswith(("{", "[")):
        return "JSON"
    if stripped[:15].lower().startswith(("<!doctype html", "<html")):
        return "HTML"
    return "Markdown"


def check_file(kind: str, path: Path) -> str:
    """'' when ``path`` holds a whole output of ``kind``; else what is wrong."""
    name = path.name
    if not path.is_file():
        return f"{name} ({kind}) is missing"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return f"{name} ({kind}) is unreadable: {error}"
    holds = guess_kind(text)
    if kind in ("json", "baseline"):
        schema = "pytest-roofline/1" if kind == "json" else "pytest-roofline-baseline/1"
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return f"{name} ({kind}) is not whole JSON (holds {holds}, {len(text)} chars)"
        if not isinstance(data, dict) or data.get("schema") != schema:
            return f"{name} ({kind}) is not a {schema} document (holds {holds})"
        if kind == "json" and not isinstance(data.get("results"), list):
            return f"{name} (json) has no results list"
        return ""
    if kind == "md" and holds != "Markdown":
        return f"{name} (Markdown report) holds {holds}"
    if kind == "html" and holds != "HTML":
        return f"{name} (HTML report) holds {holds}"
    return ""


CLAIMS = (
    ("json", re.compile(r"^roofline: wrote \d+ results? to (.+)$")),
    ("md", re.compile(r"^roofline: wrote the Markdown report to (.+)$")),
    ("html", re.compile(r"^roofline: wrote the HTML report to (.+)$")),
    ("baseline", re.compile(r"^roofline: saved \d+ results as baseline '[^']*' \((.+)\)$")),
)


def claimed_outputs(stdout: str, folder: Path) -> list[tuple[str, Path]]:
    claims = []
    for line in stdout.splitlines():
        for kind, pattern in CLAIMS:
            match = pattern.match(line.strip())
            if match:
                claims.append((kind, Path(folder, match.group(1))))
    return claims


def report_rows(path: Path) -> set[str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {str(r.get("nodeid")) for r in data["results"] if isinstance(r, dict)}
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


# -- judging a message -------------------------------------------------------------------


def names_culprit(line: str, culprit: Sequence[str]) -> list[str]:
    """The culprit substrings ``line`` lacks (each may list alternatives with ``|``)."""
    lowered = line.lower()
    return [c for c in culprit if not any(alt.lower() in lowered for alt in c.split("|"))]


def message_problem(message: str, lines: int, culprit: Sequence[str]) -> str:
    """'' when ``message`` is one clear line naming ``culprit``; else what is wrong."""
    missing = names_culprit(message, culprit)
    if missing:
        return f"does not name {' / '.join(missing)}"
    if lines > 1 or "\n" in message.strip():
        return f"{max(lines, message.strip().count(chr(10)) + 1)} lines"
    if len(message) > MAX_MESSAGE:
        return f"{len(message)} characters"
    longest = max((len(token) for token in message.split()), default=0)
    if longest > MAX_ECHO:
        return f"echoes a value of {longest} characters"
    if PYTHON_REPR.search(message):
        return "shows a Python exception's repr"
    if TEMPORARY.search(message):
        return "names a temporary file, not the output"
    return ""


def shorten(text: str, limit: int = SHOWN) -> str:
    one = " | ".join(part.strip() for part in text.strip().splitlines() if part.strip())
    return one if len(one) <= limit else one[: limit - 20] + f"... [{len(one)} chars]"


# -- the cases ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    kind: str
    line: str = ""
    also: tuple[str, ...] = ()


def outcome_of(findings: Sequence[tuple[str, str]]) -> Outcome:
    """The most severe finding, with the others; a "clean" finding holds the line judged."""
    if not findings:
        return Outcome("clean")
    ordered = sorted(findings, key=lambda f: CLASSES.index(f[0]))
    first, *rest = ordered
    rest = [f for f in rest if f[0] != "clean"]
    also = tuple(dict.fromkeys(f"{kind}: {shorten(line, 120)}" for kind, line in rest))
    return Outcome(first[0], first[1], also)


@dataclass(frozen=True)
class Case:
    surface: str
    id: str
    culprit: tuple[str, ...] = ()
    files: Mapping[str, Content] = field(default_factory=dict)
    may_accept: bool = False
    """True when accepting the input is right too (see MAY_ACCEPT)."""

    @property
    def name(self) -> str:
        return f"{self.surface}/{self.id}"

    def run(self, folder: Path) -> Outcome:
        raise NotImplementedError


DEFAULT_OUTPUTS = (("json", "out.json"), ("md", "out.md"))
OUTPUT_OPTIONS = {"json": "--roofline-json", "md": "--roofline-markdown", "html": "--roofline-html"}


@dataclass(frozen=True)
class PytestCase(Case):
    """A pytest run; ``scope`` "test": the bad input is one test's error, its neighbours
    run; "run": a usage error at start is the right answer."""

    args: tuple[str, ...] = ()
    outputs: tuple[tuple[str, str], ...] = DEFAULT_OUTPUTS
    scope: str = "test"
    marked: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    xdist: bool = False
    unwritable: tuple[str, ...] = ()
    """Folders (made by ``files``) that the case makes unwritable while it runs."""
    output_args: bool = True
    """False when the outputs come from a configuration file, not the command line."""

    def argv(self) -> list[str]:
        argv = [*PYTEST, "-rA", "--continue-on-collection-errors"]
        if self.scope == "test":
            argv += ["--roofline-hardware", "h100-sxm"]
        for kind, path in self.outputs if self.output_args else ():
            argv += [OUTPUT_OPTIONS[kind], path]
        argv += self.args
        if self.xdist:
            argv += ["-n", "2"]
        return argv

    def run(self, folder: Path) -> Outcome:
        write_files(folder, {"test_good.py": GOOD_MODULE, **self.files})
        locked = [folder / name for name in self.unwritable]
        for path in locked:
            set_writable(path, False)
        try:
            proc = run(self.argv(), folder, self.env)
        finally:
            for path in locked:
                set_writable(path, True)
        return outcome_of(self.findings(folder, proc))

    def findings(self, folder: Path, proc: Proc) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        entries = summary_entries(proc.stdout)
        ran = {e.nodeid for e in entries}
        usage = usage_error(proc)
        if proc.timed_out:
            found.append(("lost data", f"hung: killed after {TIMEOUT:.0f} s, nothing written"))
        elif not ran:
            last = (proc.text.strip().splitlines() or ["no output"])[-1]
            why = f"the whole run was refused: {usage}" if usage else f"no test ran: {last}"
            if self.scope == "test":
                found.append(("lost data", why))
            elif usage is None:
                found.append(("unclear", why))
        else:
            found += self.lost(folder, proc, entries)
        error = internal_error(proc.text)
        if error:
            found.append(("INTERNALERROR", error))
        trace = traceback_line(proc.text)
        if trace:
            found.append(("traceback", trace))
        found += self.message(proc, entries, usage)
        return found

    def good_nodes(self, entries: Sequence[Entry]) -> list[str]:
        nodes = list(GOOD_NODES[:2])
        collected = not any(e.nodeid == "test_bad.py" for e in entries)
        if "test_bad.py" in self.files and collected:
            nodes.append(GOOD_NODES[2])
        return nodes

    def lost(self, folder: Path, proc: Proc, entries: Sequence[Entry]) -> list[tuple[str, str]]:
        found = []
        checked = {(kind, folder / path) for kind, path in self.outputs}
        checked |= set(claimed_outputs(proc.stdout, folder))
        for kind, file in sorted(checked):
            problem = check_file(kind, file)
            if problem:
                found.append(("lost data", problem))
        ran = {e.nodeid for e in entries}
        for kind, path in self.outputs:
            if kind == "json" and (rows := report_rows(folder / path)) is not None:
                for node in self.good_nodes(entries):
                    if node not in rows:
                        found.append(("lost data", f"no row for {node} in {path}"))
                for node in self.marked:
                    if node in ran and node not in rows:
                        found.append(("lost data", f"no row for marked {node} in {path}"))
            if kind == "md" and check_file("md", folder / path) == "":
                text = (folder / path).read_text(encoding="utf-8")
                for node in self.good_nodes(entries):
                    if node.split("::")[1] not in text:
                        found.append(("lost data", f"no row for {node} in {path}"))
        return found

    def message(
        self, proc: Proc, entries: Sequence[Entry], usage: str | None
    ) -> list[tuple[str, str]]:
        good = set(GOOD_NODES)
        failed = [e for e in entries if e.word in ("FAILED", "ERROR")]
        verdicts = [e for e in failed if VERDICT.search(e.message)]
        candidates: list[tuple[str, int, str]] = []  # (message, lines, shown)
        if usage is not None:
            candidates.append((usage, usage.count("\n") + 1, "ERROR: " + usage))
        for e in failed:
            if e.nodeid not in good and e not in verdicts:
                candidates.append((e.message, e.lines, e.line))
        candidates += [(line, 1, line) for line in problem_lines(proc)]
        candidates += [(line, 1, line) for line in warning_lines(proc.stdout)]
        blamed = [e for e in failed if e.nodeid in good and e not in verdicts]
        if self.scope == "run":
            candidates += [(e.message, e.lines, e.line) for e in blamed]
            blamed = []
        found: list[tuple[str, str]] = [
            ("unclear", f"blames an innocent test: {e.line}") for e in blamed
        ]
        if not candidates:
            if self.may_accept and not blamed:
                return [("clean", "accepted (which is right too)")]
            if blamed or not entries:  # a crash is not an acceptance
                return found
            said = f": {verdicts[0].line}" if verdicts else " without a word"
            return [*found, ("silent", f"accepted{said}")]
        for message, lines, shown in candidates:
            if not names_culprit(message, self.culprit):
                problem = message_problem(message, lines, self.culprit)
                return [*found, ("unclear", f"{problem}: {shown}") if problem else ("clean", shown)]
        message, lines, shown = candidates[0]
        problem = message_problem(message, lines, self.culprit)
        return [*found, ("unclear", f"{problem}: {shown}")]


def set_writable(path: Path, writable: bool) -> None:
    """Make a folder (un)writable; as root, permissions do not apply, so the immutable
    attribute does it (``chattr``)."""
    if os.geteuid() != 0:
        path.chmod(0o755 if writable else 0o555)
    else:
        subprocess.run(["chattr", "-i" if writable else "+i", str(path)], check=True)


@dataclass(frozen=True)
class CliCase(Case):
    """``python -m pytest_roofline ARGV``: must exit non-zero with one line naming the
    culprit, and leave the files in ``keep`` as they were."""

    argv: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()

    def run(self, folder: Path) -> Outcome:
        write_files(folder, self.files)
        before = {name: (folder / name).read_bytes() for name in self.keep}
        proc = run([*ROOFLINE, *self.argv], folder)
        found: list[tuple[str, str]] = []
        if proc.timed_out:
            found.append(("lost data", f"hung: killed after {TIMEOUT:.0f} s"))
        for name, data in before.items():
            path = folder / name
            now = path.read_bytes() if path.is_file() else None
            if now != data:
                holds = "nothing" if now is None else guess_kind(now.decode("utf-8", "replace"))
                found.append(("lost data", f"{name}, an input, was overwritten (holds {holds})"))
        trace = traceback_line(proc.text)
        if trace:
            found.append(("traceback", trace))
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        if lines and lines[0].startswith("usage:"):
            lines = [line for line in lines if ": error: " in line]
        if proc.returncode == 0 and not proc.timed_out and self.may_accept:
            found.append(("clean", "accepted (which is right too)"))
        elif proc.returncode == 0 and not proc.timed_out:
            odd = re.search(r"^.*\b(nan|inf|infinity)\b.*$", proc.stdout, re.I | re.M)
            said = f"printed {odd.group(0).strip()!r}" if odd else "accepted"
            found.append(("silent", f"exit 0, {said}"))
        elif not trace and not proc.timed_out:
            if len(lines) != 1:
                first = lines[0] if lines else "(nothing on stderr)"
                found.append(("unclear", f"{len(lines)} stderr lines: {first}"))
            else:
                problem = message_problem(lines[0], 1, self.culprit)
                found.append(
                    ("unclear", f"{problem}: {lines[0]}") if problem else ("clean", lines[0])
                )
        return outcome_of(found)


# -- kill -9 and concurrent runs ---------------------------------------------------------

MANY = 400
"""Tests in the runs that are killed: enough that the reports take a moment to write."""
PRIOR_REPORT = json.dumps(
    {"schema": "pytest-roofline/1", "created": "prior", "machine": {}, "results": []}
)
PRIOR_BASELINE = json.dumps(
    {
        "schema": "pytest-roofline-baseline/1",
        "name": "main",
        "created": "prior",
        "fingerprint": {},
        "results": {},
    }
)
PRIOR_MARKDOWN = "# prior report\n"
PAUSE_CONFTEST = """\
import os
import time

_fsync = os.fsync


def _fsync_then_pause(fd):
    # Pause (to be killed) once the temporary file of {target!r} is written, before
    # it is renamed over the target.
    _fsync(fd)
    try:
        name = os.path.basename(os.readlink(f"/proc/self/fd/{{fd}}"))
    except OSError:
        return
    if {target!r} in name and name.endswith(".tmp"):
        open("paused", "w").close()
        time.sleep(600)


os.fsync = _fsync_then_pause
"""
CRASH_OUTPUTS = (
    "--roofline-json",
    "out.json",
    "--roofline-markdown",
    "out.md",
    "--roofline-save",
    "main",
)


def many_tests(name: str, count: int) -> str:
    return f"""\
import pytest

from pytest_roofline import kernels


@pytest.mark.roofline(kernels.matmul(256, 256, 256, "fp32"), hardware="h100-sxm")
@pytest.mark.parametrize("i", range({count}))
def test_{name}(roofline, i):
    roofline.report(seconds=1e-5 * (1 + i % 7))
"""


def leftovers(folder: Path) -> list[str]:
    """Temporary files left in ``folder`` and ``.roofline/`` that no .gitignore covers."""
    found = []
    ignore = folder / ".roofline" / ".gitignore"
    patterns = ignore.read_text().split() if ignore.is_file() else []
    for place in (folder, folder / ".roofline"):
        for path in sorted(set(place.glob(".*.tmp")) | set(place.glob("*.tmp"))):
            covered = place != folder and any(fnmatch.fnmatch(path.name, p) for p in patterns)
            if not covered:
                found.append(str(path.relative_to(folder)))
    return found


def whole_outputs(folder: Path) -> dict[str, int]:
    """Rows of out.json and of the baseline, and lines of out.md (-1: not whole)."""
    counts = {}
    for kind, name in (("json", "out.json"), ("baseline", ".roofline/main.json")):
        path = folder / name
        rows = -1
        if check_file(kind, path) == "":
            data = json.loads(path.read_text(encoding="utf-8"))
            rows = len(data["results"])
        counts[name] = rows
    md = folder / "out.md"
    whole = check_file("md", md) == "" and md.read_text(encoding="utf-8").endswith("\n")
    counts["out.md"] = len(md.read_text(encoding="utf-8").splitlines()) if whole else -1
    return counts


def run_findings(proc: Proc, what: str) -> list[tuple[str, str]]:
    found = []
    error = internal_error(proc.text)
    if error:
        found.append(("INTERNALERROR", f"{what}: {error}"))
    trace = traceback_line(proc.text)
    if trace:
        found.append(("traceback", f"{what}: {trace}"))
    return found


@dataclass(frozen=True)
class KillCase(Case):
    """``kill -9`` of a run writing the reports and the baseline over earlier ones: at
    the moment the temporary file whose name holds ``pause_at`` is written (a conftest
    pauses ``os.fsync`` there), or at ``at`` times the length of an earlier whole run
    (the reports are written at its very end). Then one normal run. Every file must be
    whole (the earlier one or the new one), and no temporary file may stay behind."""

    pause_at: str = ""
    at: float = 0.0

    def run(self, folder: Path) -> Outcome:
        files: dict[str, Content] = {
            "test_many.py": many_tests("many", MANY),
            "out.json": PRIOR_REPORT,
            "out.md": PRIOR_MARKDOWN,
            ".roofline/main.json": PRIOR_BASELINE,
        }
        argv = [*PYTEST, "-q", *CRASH_OUTPUTS]
        delay = 0.0
        if self.pause_at:
            files["conftest.py"] = PAUSE_CONFTEST.format(target=self.pause_at)
        else:
            write_files(folder, files)
            began = time.monotonic()
            run(argv, folder)
            delay = self.at * (time.monotonic() - began)
        write_files(folder, files)
        process = start(argv, folder)
        began = time.monotonic()
        note = ""
        if self.pause_at:
            while not (folder / "paused").exists() and process.poll() is None:
                if time.monotonic() - began > TIMEOUT:
                    break
                time.sleep(0.02)
            if not (folder / "paused").exists():
                note = f"not exercised: no temporary file named like {self.pause_at!r}"
        else:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(delay)
            if process.poll() is not None:
                note = f"not exercised: the run ended before {delay:.2f} s"
            else:
                note = f"killed after {delay:.2f} s"
        kill_group(process)
        killed = finish(process, 30)
        after_kill = whole_outputs(folder)
        (folder / "conftest.py").unlink(missing_ok=True)
        (folder / "paused").unlink(missing_ok=True)
        again = run(argv, folder)
        after_run = whole_outputs(folder)
        found = run_findings(killed, "killed run") + run_findings(again, "next run")
        if again.returncode != 0:
            last = (again.stdout.strip().splitlines() or ["(no output)"])[-1]
            found.append(("lost data", f"the run after the kill failed: {last}"))
        for name, rows in after_kill.items():
            prior = 0 if name != "out.md" else 1
            if rows not in (prior, after_run[name]) or rows == -1:
                found.append(("lost data", f"{name} not whole after kill -9 ({rows} rows)"))
        left = leftovers(folder)
        if left:
            found.append(("leftover", f"after kill -9 and a normal run: {', '.join(left)}"))
        outcome = outcome_of(found)
        return replace(outcome, line=outcome.line or note)


@dataclass(frozen=True)
class ConcurrentCase(Case):
    """Two runs at once on one folder.

    ``same-outputs``: two runs of different tests write the same report, Markdown and
    baseline; each file must be one run's, whole. ``save-compare``: one run saves the
    baseline another compares with. ``read-while-write``: ``roofline summary`` reads the
    report while a run replaces it."""

    mode: str = "same-outputs"

    def run(self, folder: Path) -> Outcome:
        counts = {"a": 60, "b": 90}
        write_files(folder, {f"test_{k}.py": many_tests(k, n) for k, n in counts.items()})
        found: list[tuple[str, str]] = []
        if self.mode == "same-outputs":
            procs = [start([*PYTEST, "-q", f"test_{k}.py", *CRASH_OUTPUTS], folder) for k in "ab"]
            results = [finish(p) for p in procs]
            found += self.check_one_run(folder, counts)
        elif self.mode == "save-compare":
            base = [*PYTEST, "-q", "test_a.py", "--roofline-json", "out.json"]
            first = run([*base, "--roofline-save", "main"], folder)
            found += run_findings(first, "first save")
            procs = [
                start([*base, "--roofline-save", "main"], folder),
                start([*PYTEST, "-q", "test_a.py", "--roofline-compare", "main"], folder),
            ]
            results = [finish(p) for p in procs]
            if check_file("baseline", folder / ".roofline/main.json"):
                found.append(("lost data", check_file("baseline", folder / ".roofline/main.json")))
        else:
            base = [*PYTEST, "-q", "test_b.py", "--roofline-json", "out.json"]
            results = [run(base, folder)]
            writer = start(base, folder)
            while writer.poll() is None:
                reader = run([*ROOFLINE, "summary", "out.json"], folder)
                if reader.returncode != 0:
                    found.append(("lost data", f"summary read a partial report: {reader.stderr}"))
                found += run_findings(reader, "roofline summary")
            results.append(finish(writer))
        for i, proc in enumerate(results):
            found += run_findings(proc, f"run {i + 1}")
            if proc.returncode != 0 or proc.timed_out:
                last = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
                found.append(("lost data", f"run {i + 1} exited {proc.returncode}: {last}"))
        left = leftovers(folder)
        if left:
            found.append(("leftover", ", ".join(left)))
        return outcome_of(found)

    @staticmethod
    def check_one_run(folder: Path, counts: Mapping[str, int]) -> list[tuple[str, str]]:
        found = []
        for kind, name in (("json", "out.json"), ("baseline", ".roofline/main.json")):
            problem = check_file(kind, folder / name)
            if problem:
                found.append(("lost data", problem))
                continue
            results = json.loads((folder / name).read_text(encoding="utf-8"))["results"]
            nodes = [r["nodeid"] for r in results] if isinstance(results, list) else list(results)
            runs = {node.split("::")[0].removeprefix("test_").removesuffix(".py") for node in nodes}
            whole = len(runs) == 1 and len(nodes) == counts.get(next(iter(runs)), -1)
            if not whole:
                found.append(("lost data", f"{name} mixes runs or lacks rows: {len(nodes)} rows"))
        problem = check_file("md", folder / "out.md")
        if problem:
            return [*found, ("lost data", problem)]
        text = (folder / "out.md").read_text(encoding="utf-8")
        if ("test_a[" in text) == ("test_b[" in text):
            found.append(("lost data", "out.md holds rows of both runs, or of neither"))
        return found


# -- what the cases are made of ----------------------------------------------------------

GOOD_MODULE = """\
import pytest

from pytest_roofline import ServingConfig, kernels


@pytest.mark.roofline(
    kernels.matmul(256, 256, 256, "fp32"), hardware="h100-sxm", min_utilization=0.01
)
def test_good_gemm(roofline):
    roofline.report(seconds=1e-5)


@pytest.mark.roofline(
    serving=ServingConfig(
        model="llama-2-7b", hardware="a100-sxm4-80gb", prompt_tokens=512, decode_tokens=128
    ),
    min_utilization=0.01,
)
def test_good_serving(roofline):
    roofline.report(tokens_per_second=5000.0)
"""
PREAMBLE = """\
import fractions
import math

import numpy as np
import pytest

from pytest_roofline import Hardware, Kernel, ServingConfig, Transformer, kernels

GOOD = kernels.matmul(256, 256, 256, "fp32")
SERVING = ServingConfig(model="llama-2-7b", hardware="a100-sxm4-80gb")
SERVING_FULL = ServingConfig(
    model="llama-2-7b", hardware="a100-sxm4-80gb", prompt_tokens=512, decode_tokens=128
)
"""
NEIGHBOUR = """\
@pytest.mark.roofline(GOOD, hardware="h100-sxm", min_utilization=0.01)
def test_good_neighbour(roofline):
    roofline.report(seconds=1e-5)
"""
BAD_NODE = ("test_bad.py::test_bad",)
UNDER_A_FILE = "blocker, not a folder|not a directory|is a file|regular file"
"""An output under a regular file: the line names it and says it is a file ("File
exists", the operating system's word, says the opposite of what is wrong)."""
KERNEL_MARK = 'GOOD, hardware="h100-sxm"'
REPORT = "roofline.report(seconds=1e-5)"
REPORT_TOKENS = "roofline.report(tokens_per_second=1000.0)"
ENGINE_CALL = 'roofline.report_engine_result("engine.json")'


def bad_module(
    body: str, mark: str | None = KERNEL_MARK, head: str = "", params: str = "roofline"
) -> str:
    """test_bad.py: the bad test (marked with ``mark``) between ``head`` and a good one."""
    decorator = f"@pytest.mark.roofline({mark})\n" if mark is not None else ""
    body = textwrap.indent(textwrap.dedent(body).strip(), "    ")
    test = f"{decorator}def test_bad({params}):\n{body}\n"
    return f"{PREAMBLE}\n{head}\n\n\n{test}\n\n{NEIGHBOUR}"


def names(text: str) -> tuple[str, ...]:
    """'engine.json, completed' -> ('engine.json', 'completed'): what a line must name."""
    return tuple(part.strip() for part in text.split(", ") if part.strip())


VALUES: tuple[tuple[str, str], ...] = (
    ("0", "0"),
    ("-1", "-1"),
    ("nan", 'float("nan")'),
    ("inf", 'float("inf")'),
    ("-inf", '-float("inf")'),
    ("1e-320", "1e-320"),
    ("5e-324", "5e-324"),
    ("10**400", "10**400"),
    ("10**200", "10**200"),
    ("True", "True"),
    ("'1.2 ms'", '"1.2 ms"'),
    ("''", '""'),
    ("None", "None"),
    ("[]", "[]"),
    ("{}", "{}"),
    ("100k chars", '"x" * 100_000'),
    ("non-UTF-8 bytes", 'b"\\xff\\xfe"'),
)
"""Generated values (label, Python source) tried on every numeric argument."""


def values(*skip: str) -> list[tuple[str, str]]:
    """VALUES without those that are valid for the argument at hand."""
    return [(label, source) for label, source in VALUES if label not in skip]


@dataclass(frozen=True)
class Raw:
    """A JSON value written as it is (``NaN``, ``1e400``, 400 digits, deep nesting)."""

    text: str


HUGE = Raw("1" + "0" * 400)
DEEP_OPEN = "[" * 100_000
DEEP = DEEP_OPEN + "]" * 100_000
DROP = Raw("")
"""A key to leave out."""


def json_text(data: object) -> str:
    raws: list[str] = []

    def swap(value: object) -> object:
        if isinstance(value, Raw):
            raws.append(value.text)
            return f"@@RAW{len(raws) - 1}@@"
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items() if v is not DROP}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    text = json.dumps(swap(data), indent=1)
    for i, raw in enumerate(raws):
        text = text.replace(f'"@@RAW{i}@@"', raw)
    return text


def changed(base: Mapping[str, object], **changes: object) -> str:
    return json_text({**base, **changes})


VLLM = {
    "date": "20260101-000000",
    "backend": "vllm",
    "model_id": "meta-llama/Llama-2-7b-hf",
    "completed": 100,
    "duration": 10.0,
    "total_input_tokens": 51200,
    "total_output_tokens": 12800,
    "request_throughput": 10.0,
    "output_throughput": 1280.0,
    "total_token_throughput": 6400.0,
    "mean_ttft_ms": 50.0,
    "mean_tpot_ms": 20.0,
    "mean_itl_ms": 20.0,
    "max_concurrency": 64,
}
VLLM_RATES = ("request_throughput", "output_throughput", "total_token_throughput")
SGLANG = {**VLLM, "dataset_name": "random", "input_throughput": 5120.0}
TRTLLM = {
    "engine": {"model": "meta-llama/Llama-2-7b-hf", "version": "1.1.0"},
    "world_info": {"tp_size": 1, "pp_size": 1, "max_batch_size": 64},
    "request_info": {"num_requests": 100, "avg_input_length": 512.0, "avg_output_length": 128.0},
    "performance": {
        "total_latency_ms": 10000.0,
        "system_total_throughput_tok_s": 6400.0,
        "system_output_throughput_tok_s": 1280.0,
    },
}
LMDEPLOY_HEADER = (
    "batch,num_promts,RPS,RPM,FTL(ave)(s),FTL(min)(s),FTL(max)(s),50%(s),75%(s),95%(s),99%(s),"
    "throughput(out tok/s),throughput(total tok/s)"
)
LMDEPLOY_ROW = "64,100,10.0,600.0,0.05,0.01,0.2,0.02,0.02,0.03,0.04,1280.0,6400.0"
SGLANG_OFFLINE = {
    "backend": "engine",
    "successful_requests": 100,
    "total_latency": 10.0,
    "total_input_tokens": 51200,
    "total_output_tokens": 12800,
    "total_throughput": 6400.0,
}
OFFLINE = {
    "elapsed_time": 10.0,
    "num_requests": 100,
    "total_num_tokens": 64000,
    "requests_per_second": 10.0,
    "tokens_per_second": 6400.0,
}
HF = {
    "_name_or_path": "meta-llama/Llama-2-7b-hf",
    "model_type": "llama",
    "hidden_size": 4096,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "intermediate_size": 11008,
    "vocab_size": 32000,
}
BASELINE = {
    "schema": "pytest-roofline-baseline/1",
    "name": "main",
    "created": "2026-01-01T00:00:00+00:00",
    "fingerprint": {"machine": "elsewhere"},
    "results": {
        "test_good.py::test_good_gemm": {
            "utilization": 0.05,
            "utilization_ci": [0.05, 0.05],
            "best_utilization": 0.05,
            "best_stretch_utilization": 0.05,
            "bound_seconds": 5e-7,
            "label": "matmul 256x256x256 fp32",
            "hardware": "h100-sxm",
            "outcome": "passed",
            "statistics": {},
        }
    },
}
BINARY = b"\xff\xfe\x00\x01\x80garbage\xc3\x28"


_valid_lock = threading.Lock()


@functools.cache
def _valid_report_cached() -> bytes:
    """A real JSON report of test_good.py, written by the plugin (made once)."""
    with tempfile.TemporaryDirectory(prefix="bad-inputs-valid-") as name:
        folder = Path(name)
        write_files(folder, {"test_good.py": GOOD_MODULE})
        proc = run([*PYTEST, "-q", "--roofline-json", "report.json"], folder)
        path = folder / "report.json"
        if not path.is_file():
            raise SystemExit(f"could not make a valid report: {proc.stdout[-500:]}")
        return path.read_bytes()


def valid_report() -> bytes:
    with _valid_lock:
        return _valid_report_cached()


def edited_report(edit: Callable[[dict[str, object]], object]) -> Callable[[], bytes]:
    """The valid report with ``edit`` applied to its first result (Raw values allowed)."""

    def build() -> bytes:
        document = json.loads(valid_report())
        edit(document["results"][0])
        return json_text(document).encode()

    return build


def truncated_report() -> bytes:
    data = valid_report()
    return data[: len(data) // 2]


def report_doc(**changes: object) -> str:
    return changed({"schema": "pytest-roofline/1", "created": "x", "machine": {}}, **changes)


# -- the case tables ---------------------------------------------------------------------


def marker_cases() -> list[Case]:
    rows: list[tuple[str, str, str, str]] = []  # id, marker arguments, culprit, body
    for label, source in values("None", "1e-320", "5e-324"):
        rows.append(
            (
                f"min_utilization={label}",
                f"{KERNEL_MARK}, min_utilization={source}",
                "min_utilization",
                REPORT,
            )
        )
        rows.append((f"max_drop={label}", f"{KERNEL_MARK}, max_drop={source}", "max_drop", REPORT))
    for label, source, culprit in (
        ("'h1000'", '"h1000"', "h1000"),
        ("''", '""', "hardware"),
        ("100k chars", '"x" * 100_000', "hardware"),
        ("5", "5", "hardware"),
        ("True", "True", "hardware"),
        ("[]", "[]", "hardware"),
        ("{}", "{}", "hardware"),
        ("bytes", 'b"h100-sxm"', "hardware"),
        ("nan", 'float("nan")', "hardware"),
        ("Hardware class", "Hardware", "hardware"),
    ):
        rows.append((f"hardware={label}", f"GOOD, hardware={source}", culprit, REPORT))
    serving_h1000 = (
        'serving=ServingConfig(model="llama-2-7b", hardware="h1000", prompt_tokens=512,'
        " decode_tokens=128)"
    )
    too_big = (
        'serving=ServingConfig(model="llama-3.1-405b", hardware="l4", prompt_tokens=512,'
        " decode_tokens=128)"
    )
    rows += [
        ("kernel=5", '5, hardware="h100-sxm"', "kernel", REPORT),
        ("kernel='matmul'", '"matmul", hardware="h100-sxm"', "kernel", REPORT),
        ("kernel=[]", '[], hardware="h100-sxm"', "kernel", REPORT),
        ("kernel=Kernel class", 'Kernel, hardware="h100-sxm"', "kernel", REPORT),
        ("kernel=uncalled factory", 'kernels.matmul, hardware="h100-sxm"', "kernel", REPORT),
        ("kernel=None, nothing declared", 'None, hardware="h100-sxm"', "declare", REPORT),
        ("two positional kernels", "GOOD, GOOD", "positional", REPORT),
        ("kernel positional and kernel=", "GOOD, kernel=GOOD", "kernel", REPORT),
        ("serving=5", "serving=5", "serving", REPORT_TOKENS),
        ("serving=a kernel", "serving=GOOD", "serving", REPORT_TOKENS),
        ("kernel and serving", "GOOD, serving=SERVING_FULL", "serving", REPORT),
        (
            "min_utilisation misspelt",
            f"{KERNEL_MARK}, min_utilisation=0.5",
            "min_utilisation",
            REPORT,
        ),
        ("unknown keyword foo", f"{KERNEL_MARK}, foo=1", "foo", REPORT),
        (
            "unknown keyword of 100k chars",
            f'{KERNEL_MARK}, **{{"x" * 100_000: 1}}',
            "argument|keyword",
            REPORT,
        ),
        ("serving hardware 'h1000'", serving_h1000, "h1000", REPORT_TOKENS),
        (
            "fp8 kernel on v100",
            'kernels.matmul(256, 256, 256, "fp8"), hardware="v100-sxm2-32gb"',
            "fp8",
            REPORT,
        ),
        (
            "int4 kernel on h100",
            'kernels.matmul(256, 256, 256, "int4"), hardware="h100-sxm"',
            "int4",
            REPORT,
        ),
        ("405B model on one L4", too_big, "memory|fit", REPORT_TOKENS),
    ]
    return [
        PytestCase(
            "marker", id_, names(culprit), {"test_bad.py": bad_module(body, mark)}, marked=BAD_NODE
        )
        for id_, mark, culprit, body in rows
    ]


def at_import(surface: str, id_: str, expr: str, culprit: str, serving: bool = False) -> Case:
    """A test module whose marker holds ``expr``, built while Python imports it."""
    mark, body = ("serving=BAD", REPORT_TOKENS) if serving else ('BAD, hardware="h100-sxm"', REPORT)
    module = bad_module(body, mark, head=f"BAD = {expr}")
    return PytestCase(surface, id_, names(culprit), {"test_bad.py": module}, marked=BAD_NODE)


def kernel_cases() -> list[Case]:
    rows: list[tuple[str, str, str, bool]] = []  # id, expression, culprit, serving
    for label, v in values():
        rows.append((f"matmul(m=n=k={label})", f"kernels.matmul({v}, {v}, {v})", "matmul", False))
    for label, v in values("0", "1e-320", "5e-324", "10**200"):
        rows.append((f"Kernel(flops={label})", f"Kernel(flops={v}, bytes=1e6)", "flops", False))
    for label, v in (
        ("-1", "-1"),
        ("nan", 'float("nan")'),
        ("inf", 'float("inf")'),
        ("10**400", "10**400"),
        ("'1.2 ms'", '"1.2 ms"'),
        ("True", "True"),
    ):
        rows.append((f"Kernel(bytes={label})", f"Kernel(flops=1e9, bytes={v})", "bytes", False))
    for label, v in (
        ("'fp33'", '"fp33"'),
        ("''", '""'),
        ("5", "5"),
        ("None", "None"),
        ("np.complex64", "np.complex64"),
        ("100k chars", '"x" * 100_000'),
    ):
        rows.append(
            (f"matmul(dtype={label})", f"kernels.matmul(256, 256, 256, {v})", "dtype", False)
        )
    for label, text in (
        ("'lots'", "lots"),
        ("'1.2 ms'", "1.2 ms"),
        ("''", ""),
        ("'1e400 FLOP'", "1e400 FLOP"),
        ("'-1 GFLOP'", "-1 GFLOP"),
        ("'nan GFLOP'", "nan GFLOP"),
        ("'inf'", "inf"),
    ):
        rows.append(
            (
                f"custom(flops={label})",
                f'kernels.custom("k", flops="{text}", bytes="1 MB")',
                "flops",
                False,
            )
        )
    rows += [
        (
            "custom(flops=100k chars)",
            'kernels.custom("k", flops="1" * 100_000, bytes="1 MB")',
            "flops",
            False,
        ),
        (
            "custom(bytes=bytes)",
            'kernels.custom("k", flops="1 GFLOP", bytes=b"1 MB")',
            "bytes",
            False,
        ),
        ("custom(name='')", 'kernels.custom("", flops="1 GFLOP", bytes="1 MB")', "name", False),
        (
            "custom(network_bytes=-1)",
            'kernels.custom("k", flops="1 GFLOP", bytes="1 MB", network_bytes=-1)',
            "network_bytes",
            False,
        ),
    ]
    for label, v in (
        ("0", "0"),
        ("-1", "-1"),
        ("nan", 'float("nan")'),
        ("1.5", "1.5"),
        ("10**200", "10**200"),
        ("True", "True"),
        ("'8'", '"8"'),
    ):
        rows.append(
            (
                f"decode_step(batch_size={label})",
                f'kernels.decode_step("llama-2-7b", {v}, 1024)',
                "batch_size",
                False,
            )
        )
    rows += [
        (
            "decode_step(context=10**400)",
            'kernels.decode_step("llama-2-7b", 8, 10**400)',
            "context",
            False,
        ),
        (
            "decode_step(model='no-such-model')",
            'kernels.decode_step("no-such-model", 8, 1024)',
            "no-such-model",
            False,
        ),
        ("decode_step(model=5)", "kernels.decode_step(5, 8, 1024)", "model", False),
        (
            "decode_step(gpus=0)",
            'kernels.decode_step("llama-2-7b", 8, 1024, gpus=0)',
            "gpus",
            False,
        ),
        ("attention(heads=0)", "kernels.attention(1, 0, 128)", "heads", False),
        (
            "attention(kv_heads=3 of 32)",
            "kernels.attention(1, 32, 128, kv_heads=3)",
            "kv_heads",
            False,
        ),
        (
            "attention(head_dim=nan)",
            'kernels.attention(1, 32, 128, head_dim=float("nan"))',
            "head_dim",
            False,
        ),
        ("dot(n=10**400)", "kernels.dot(10**400)", "dot", False),
        (
            "elementwise(flops_per_element=nan)",
            'kernels.elementwise(1024, flops_per_element=float("nan"))',
            "flops_per_element",
            False,
        ),
    ]
    model = (
        'Transformer(name="m", hidden_size={h}, layers={l}, heads=32,'
        " intermediate_size=11008, vocab_size=32000)"
    )
    for label, h, layers, culprit in (
        ("hidden_size=10**200", "10**200", "32", "hidden_size"),
        ("hidden_size=-1", "-1", "32", "hidden_size"),
        ("hidden_size=4096.5", "4096.5", "32", "hidden_size"),
        ("layers=0", "4096", "0", "layers"),
        ("layers='32'", "4096", '"32"', "layers"),
    ):
        expr = (
            f'ServingConfig(model={model.format(h=h, l=layers)}, hardware="a100-sxm4-80gb",'
            " prompt_tokens=512, decode_tokens=128)"
        )
        rows.append((f"Transformer({label})", expr, culprit, True))
    config = {
        "model": '"llama-2-7b"',
        "hardware": '"a100-sxm4-80gb"',
        "prompt_tokens": "512",
        "decode_tokens": "128",
    }
    for fld, label, v in (
        ("prompt_tokens", "inf", 'float("inf")'),
        ("prompt_tokens", "nan", 'float("nan")'),
        ("prompt_tokens", "-1", "-1"),
        ("prompt_tokens", "10**400", "10**400"),
        ("prompt_tokens", "'many'", '"many"'),
        ("prompt_tokens", "1e308", "1e308"),
        ("decode_tokens", "1e-300", "1e-300"),
        ("decode_tokens", "inf", 'float("inf")'),
        ("decode_tokens", "0", "0"),
        ("decode_tokens", "nan", 'float("nan")'),
        ("gpus", "0", "0"),
        ("gpus", "1.5", "1.5"),
        ("gpus", "10**200", "10**200"),
        ("gpus", "True", "True"),
        ("batch_size", "inf", 'float("inf")'),
        ("batch_size", "1e-320", "1e-320"),
        ("batch_size", "-1", "-1"),
        ("dtype", "'fp33'", '"fp33"'),
        ("kv_dtype", "5", "5"),
    ):
        fields = ", ".join(f"{k}={x}" for k, x in {**config, fld: v}.items())
        rows.append((f"ServingConfig({fld}={label})", f"ServingConfig({fields})", fld, True))
    for label, v in (("'no-such-model'", '"no-such-model"'), ("5", "5"), ("None", "None")):
        rows.append(
            (
                f"ServingConfig(model={label})",
                f'ServingConfig(model={v}, hardware="a100-sxm4-80gb", prompt_tokens=512,'
                " decode_tokens=128)",
                "model|no-such-model",
                True,
            )
        )
    return [at_import("kernels", id_, expr, culprit, serv) for id_, expr, culprit, serv in rows]


def fixture_case(
    id_: str,
    body: str,
    culprit: str,
    mark: str | None = KERNEL_MARK,
    head: str = "",
    params: str = "roofline",
) -> Case:
    module = bad_module(body, mark, head=head, params=params)
    return PytestCase(
        "fixture",
        id_,
        names(culprit),
        {"test_bad.py": module},
        marked=BAD_NODE if mark is not None else (),
    )


def fixture_cases() -> list[Case]:
    cases = []
    for label, v in values("10**200"):
        cases.append(
            fixture_case(
                f"report(seconds={label})",
                f"roofline.report(seconds={v})",
                "seconds",
            )
        )
    # A rate with a time's unit ("1.2 ms") is refused, unlike seconds="1.2 ms" above.
    for fig, skip, mark in (
        ("flops_per_second", ("-inf", "None", "[]", "{}", "10**200"), KERNEL_MARK),
        ("bytes_per_second", ("-inf", "None", "[]", "{}", "10**200", "-1", "''"), KERNEL_MARK),
        (
            "tokens_per_second",
            ("-inf", "None", "[]", "{}", "10**200", "-1"),
            "serving=SERVING_FULL",
        ),
    ):
        for label, v in values(*skip):
            body = f"roofline.report({fig}={v})"
            cases.append(fixture_case(f"report({fig}={label})", body, fig, mark))
    cases.append(
        fixture_case(
            "report(flops_per_second=1e-310)",
            "roofline.report(flops_per_second=1e-310)",
            "flops_per_second",
        )
    )
    for fig, label, v, mark in (
        ("output_tokens_per_second", "nan", 'float("nan")', "serving=SERVING_FULL"),
        ("output_tokens_per_second", "1e-320", "1e-320", "serving=SERVING_FULL"),
        ("output_tokens_per_second", "10**400", "10**400", "serving=SERVING_FULL"),
        ("seconds_per_token", "0", "0", KERNEL_MARK),
        ("seconds_per_token", "1e-320", "1e-320", KERNEL_MARK),
        ("seconds_per_token", "10**400", "10**400", "serving=SERVING_FULL"),
    ):
        cases.append(
            fixture_case(f"report({fig}={label})", f"roofline.report({fig}={v})", fig, mark)
        )
    rows: list[tuple[str, str, str, str | None]] = [  # id, body, culprit, marker arguments
        ("report()", "roofline.report()", "seconds", KERNEL_MARK),
        (
            "report(two figures)",
            "roofline.report(seconds=1e-5, flops_per_second=1e12)",
            "seconds, flops_per_second",
            KERNEL_MARK,
        ),
        ("report(secs=) misspelt", "roofline.report(secs=1e-5)", "secs", KERNEL_MARK),
        ("report(1e-5) positional", "roofline.report(1e-5)", "report", KERNEL_MARK),
        (
            "report(tokens_per_second=) on a kernel",
            "roofline.report(tokens_per_second=1e3)",
            "tokens_per_second",
            KERNEL_MARK,
        ),
        ("report(seconds=) on serving", REPORT, "seconds", "serving=SERVING_FULL"),
        (
            "report(seconds=np.nan)",
            "roofline.report(seconds=np.float64('nan'))",
            "seconds",
            KERNEL_MARK,
        ),
        (
            "report(seconds=np.array)",
            "roofline.report(seconds=np.array([1e-5, 2e-5]))",
            "seconds",
            KERNEL_MARK,
        ),
        (
            "report(seconds=Fraction(1, 10**400))",
            "roofline.report(seconds=fractions.Fraction(1, 10**400))",
            "seconds",
            KERNEL_MARK,
        ),
        ("report(seconds=1e-5j)", "roofline.report(seconds=1e-5j)", "seconds", KERNEL_MARK),
        ("report unmarked, nothing declared", REPORT, "declare", None),
        ("declare(5)", "roofline.declare(5)\nroofline.report(seconds=1e-5)", "declare", ""),
        ("declare(None)", "roofline.declare(None)\nroofline.report(seconds=1e-5)", "declare", ""),
        (
            "declare('matmul')",
            'roofline.declare("matmul")\nroofline.report(seconds=1e-5)',
            "declare",
            "",
        ),
        (
            "declare(hardware='h1000')",
            'roofline.declare(GOOD, hardware="h1000")\n' + REPORT,
            "h1000",
            "",
        ),
        ("declare(hardware=5)", "roofline.declare(GOOD, hardware=5)\n" + REPORT, "hardware", ""),
        (
            "declare(hardware=100k chars)",
            'roofline.declare(GOOD, hardware="x" * 100_000)\n' + REPORT,
            "hardware",
            "",
        ),
        (
            "declare(serving without lengths)",
            "roofline.declare(SERVING)\n" + REPORT_TOKENS,
            "prompt_tokens",
            "",
        ),
        ("measure(None)", "roofline.measure(None)", "measure|fn|callable", KERNEL_MARK),
        ("measure(5)", "roofline.measure(5)", "measure|fn|callable", KERNEL_MARK),
        (
            "measure(fn given arguments it does not take)",
            "roofline.measure(lambda: None, 1, 2)",
            "lambda|positional",
            KERNEL_MARK,
        ),
        (
            "measure(sync=5)",
            "roofline.measure(lambda: None, sync=5, rounds=5, max_time=0.05)",
            "sync",
            KERNEL_MARK,
        ),
        (
            "measure(timer='gpu')",
            'roofline.measure(lambda: None, timer="gpu")',
            "timer",
            KERNEL_MARK,
        ),
    ]
    for option, label, v in (
        ("rounds", "0", "0"),
        ("rounds", "-1", "-1"),
        ("rounds", "1.5", "1.5"),
        ("rounds", "'5'", '"5"'),
        ("rounds", "True", "True"),
        ("rounds", "10**400", "10**400"),
        ("warmup", "-1", "-1"),
        ("warmup", "nan", 'float("nan")'),
        ("max_time", "0", "0"),
        ("max_time", "-1", "-1"),
        ("max_time", "nan", 'float("nan")'),
        ("max_time", "inf", 'float("inf")'),
        ("max_time", "'1 s'", '"1 s"'),
        ("max_time", "10**400", "10**400"),
    ):
        rows.append(
            (
                f"measure({option}={label})",
                f"roofline.measure(lambda: None, {option}={v})",
                option,
                KERNEL_MARK,
            )
        )
    for label, v, culprit in (
        ("123", "123", "path|report_engine_result"),
        ("None", "None", "path|report_engine_result"),
        ("bytes", 'b"\\xff.json"', "path|report_engine_result"),
        ("[]", "[]", "path|report_engine_result"),
        ("'missing.json'", '"missing.json"', "missing.json"),
        ("''", '""', "path|report_engine_result"),
        ("100k chars", '"x" * 100_000', "path|report_engine_result"),
        ("a directory", '"."', "folder|directory"),
    ):
        rows.append(
            (
                f"report_engine_result({label})",
                f"roofline.report_engine_result({v})",
                culprit,
                "serving=SERVING",
            )
        )
    for label, extra, culprit in (
        ("run='last'", 'run="last"', "run"),
        ("run=5", "run=5", "run"),
        ("run=1.5", "run=1.5", "run"),
        ("run=10**400", "run=10**400", "run"),
        ("format='vllm'", 'format="vllm"', "vllm"),
        ("format=5", "format=5", "format"),
    ):
        rows.append(
            (
                f"report_engine_result({label})",
                f'roofline.report_engine_result("engine.json", {extra})',
                culprit,
                "serving=SERVING",
            )
        )
    rows += [
        ("roofline.measurement = 5", "roofline.measurement = 5", "measurement", KERNEL_MARK),
        (
            "roofline.min_utilization = 2",
            "roofline.min_utilization = 2",
            "min_utilization",
            KERNEL_MARK,
        ),
        ("roofline.bound with nothing declared", "roofline.bound", "declare", ""),
        ("roofline.nope", "roofline.nope", "nope", KERNEL_MARK),
    ]
    for id_, body, culprit, marker in rows:
        case = fixture_case(id_, body, culprit, marker)
        if "engine.json" in body:
            case = replace(case, files={**case.files, "engine.json": json_text(VLLM)})
        cases.append(case)
    late = """\
@pytest.fixture(scope="session")
def late_report(roofline):
    yield
    roofline.report(seconds=1e-3)
"""
    cases.append(
        fixture_case(
            "report() in a session fixture's teardown",
            REPORT,
            "report(), teardown|session|late_report",
            head=late,
            params="roofline, late_report",
        )
    )
    return cases


def engine_case(
    id_: str,
    content: Content,
    culprit: str,
    *,
    name: str = "engine.json",
    call: str = "",
    mark: str = "serving=SERVING",
) -> Case:
    body = call or f'roofline.report_engine_result("{name}")'
    return PytestCase(
        "engine",
        id_,
        names(culprit),
        {"test_bad.py": bad_module(body, mark), name: content},
        marked=BAD_NODE,
    )


def engine_cases() -> list[Case]:
    cases = [
        engine_case(f"vllm no {key}", changed(VLLM, **{key: DROP}), f"engine.json, {key}")
        for key in ("completed", "duration", "total_input_tokens", "total_output_tokens")
    ]
    bad: list[tuple[str, str, object]] = [
        ("completed", "0.5", 0.5),
        ("completed", "'100'", "100"),
        ("completed", "null", None),
        ("completed", "-1", -1),
        ("completed", "400 digits", HUGE),
        ("completed", "1e400", Raw("1e400")),
        ("completed", "NaN", Raw("NaN")),
        ("completed", "true", True),
        ("completed", "[]", []),
        ("completed", "0", 0),
        ("duration", "1e-320", Raw("1e-320")),
        ("duration", "5e-324", Raw("5e-324")),
        ("duration", "0", 0),
        ("duration", "-1", -1),
        ("duration", "'10 s'", "10 s"),
        ("duration", "NaN", Raw("NaN")),
        ("duration", "Infinity", Raw("Infinity")),
        ("duration", "400 digits", HUGE),
        ("total_input_tokens", "-5", -5),
        ("total_input_tokens", "'many'", "many"),
        ("total_input_tokens", "400 digits", HUGE),
        ("total_input_tokens", "NaN", Raw("NaN")),
        ("total_output_tokens", "0", 0),
        ("total_output_tokens", "NaN", Raw("NaN")),
        ("total_output_tokens", "400 digits", HUGE),
        ("total_token_throughput", "-1", -1),
        ("total_token_throughput", "'fast'", "fast"),
        ("total_token_throughput", "1e-320", Raw("1e-320")),
        ("total_token_throughput", "NaN", Raw("NaN")),
        ("total_token_throughput", "1e400", Raw("1e400")),
        ("max_concurrency", "'lots'", "lots"),
    ]
    for key, label, value in bad:
        if key == "duration":  # the rates derive from it, or it would judge nothing
            value = {"duration": value, **dict.fromkeys(VLLM_RATES, DROP)}
            cases.append(
                engine_case(f"vllm {key}={label}", changed(VLLM, **value), "engine.json, duration")
            )
            continue
        cases.append(
            engine_case(f"vllm {key}={label}", changed(VLLM, **{key: value}), f"engine.json, {key}")
        )
    decode = 'kernels.decode_step("llama-2-7b", 64, 1024), hardware="a100-sxm4-80gb"'
    for label, value in (
        ("'x'", "x"),
        ("-1", -1),
        ("NaN", Raw("NaN")),
        ("1e-320", Raw("1e-320")),
        ("missing", DROP),
    ):
        cases.append(
            engine_case(
                f"kernel mean_tpot_ms={label}",
                changed(VLLM, mean_tpot_ms=value),
                "engine.json, tpot",
                mark=decode,
            )
        )
    for id_, changes, culprit in (
        ("offline no num_requests", {"num_requests": DROP}, "num_requests"),
        (
            "offline elapsed_time=1e-320",
            {"elapsed_time": Raw("1e-320"), "tokens_per_second": DROP, "requests_per_second": DROP},
            "elapsed_time",
        ),
        ("offline num_requests=0.5", {"num_requests": 0.5}, "num_requests"),
        ("offline total_num_tokens=400 digits", {"total_num_tokens": HUGE}, "total_num_tokens"),
        ("offline tokens_per_second=NaN", {"tokens_per_second": Raw("NaN")}, "tokens_per_second"),
        (
            "offline total_output_tokens > total",
            {"total_output_tokens": 10**6},
            "total_output_tokens",
        ),
    ):
        cases.append(
            engine_case(
                id_,
                changed(OFFLINE, **changes),
                f"engine.json, {culprit}",
                mark="serving=SERVING_FULL",
            )
        )
    line = json.dumps(SGLANG)
    for id_, text, culprit, call in (
        ("jsonl last line cut", f'{line}\n{{"completed": 1,\n', "engine.jsonl", ""),
        ("jsonl a list line", f"{line}\n[1, 2]\n", "engine.jsonl", ""),
        ("jsonl blank lines only", "\n\n\n", "engine.jsonl", ""),
        (
            "jsonl run=5 of 2",
            f"{line}\n{line}\n",
            "engine.jsonl, run",
            'roofline.report_engine_result("engine.jsonl", run=5)',
        ),
        (
            "jsonl duration=NaN on the last line",
            f"{line}\n{json_text({**SGLANG, 'duration': Raw('NaN')}).replace(chr(10), '')}\n",
            "engine.jsonl, duration",
            "",
        ),
    ):
        cases.append(engine_case(id_, text, culprit, name="engine.jsonl", call=call))
    cases.append(
        engine_case(
            "jsonl binary line",
            line.encode() + b"\n" + BINARY + b"\n",
            "engine.jsonl",
            name="engine.jsonl",
        )
    )
    for id_, content in (
        ("empty file", ""),
        ("whitespace only", "  \n\t\n"),
        ("100000 [", DEEP_OPEN),
        ("100000 [ closed", DEEP),
        ("completed nested 100000 deep", changed(VLLM, completed=Raw(DEEP))),
        ("binary", BINARY),
        ("a list", "[]"),
        ("null", "null"),
        ("a number", "5"),
        ("a string", '"vllm"'),
        ("UTF-8 BOM", b"\xef\xbb\xbf" + json_text(VLLM).encode()),
        ("UTF-16", json_text(VLLM).encode("utf-16")),
    ):
        cases.append(engine_case(id_, content, "engine.json"))
    for id_, changes, culprit in (
        ("trtllm no num_requests", {"request_info": {"avg_input_length": 512.0}}, "num_requests"),
        ("trtllm total_latency_ms=0", {"performance": {"total_latency_ms": 0}}, "total_latency_ms"),
        (
            "trtllm total_latency_ms='10 s'",
            {"performance": {"total_latency_ms": "10 s", "system_total_throughput_tok_s": 64.0}},
            "total_latency_ms",
        ),
        ("trtllm performance a list", {"performance": [1, 2]}, "engine.json"),
    ):
        cases.append(engine_case(id_, changed(TRTLLM, **changes), f"engine.json, {culprit}"))
    for id_, row, culprit in (
        ("lmdeploy RPS=0", LMDEPLOY_ROW.replace("10.0,600.0", "0,0"), "RPS"),
        ("lmdeploy total=-1", LMDEPLOY_ROW.replace(",6400.0", ",-1"), "throughput(total tok/s)"),
        ("lmdeploy num_promts='many'", LMDEPLOY_ROW.replace("64,100", "64,many"), "num_promts"),
        ("lmdeploy header only", None, "profile.csv"),
    ):
        text = LMDEPLOY_HEADER + "\r\n" + (row + "\r\n" if row else "")
        cases.append(engine_case(id_, text, f"profile.csv, {culprit}", name="profile.csv"))
    cases.append(
        engine_case(
            "sglang offline total_latency=0",
            json.dumps({**SGLANG_OFFLINE, "total_latency": 0}) + "\n",
            "engine.jsonl, total_latency",
            name="engine.jsonl",
        )
    )
    cases.append(
        engine_case(
            "another model than declared",
            changed(VLLM, model_id="meta-llama/Llama-2-70b-hf"),
            "engine.json, llama-2-70b, llama-2-7b, allow_model_mismatch",
        )
    )
    cases.append(
        engine_case(
            "prefill against an offline file",
            json_text(OFFLINE),
            "engine.json, TTFT",
            mark='kernels.prefill("llama-2-7b", 512), hardware="a100-sxm4-80gb"',
        )
    )
    for id_, call, culprit in (
        ("format='vllm'", 'roofline.report_engine_result("engine.json", format="vllm")', "vllm"),
        ("format=5", 'roofline.report_engine_result("engine.json", format=5)', "format"),
    ):
        cases.append(engine_case(id_, json_text(VLLM), culprit, call=call))
    return cases


def hwfile_case(
    id_: str,
    content: Content | None,
    culprit: str,
    path: str = "hw.toml",
    files: Mapping[str, Content] | None = None,
) -> Case:
    """``--roofline-hardware-file PATH``; a file declaring ``[mine]`` gets a test using it."""
    given = dict(files or {})
    marked: tuple[str, ...] = ()
    if content is not None:
        given[path] = content
    if isinstance(content, str) and content.startswith("[mine]"):
        mark = 'kernels.matmul(256, 256, 256, "fp16"), hardware="mine"'
        given["test_bad.py"] = bad_module(REPORT, mark)
        marked = BAD_NODE
    return PytestCase(
        "hwfile",
        id_,
        names(culprit),
        given,
        args=("--roofline-hardware-file", path),
        scope="run",
        marked=marked,
    )


def hwfile_cases() -> list[Case]:
    mine = '[mine]\nextends = "h100-sxm"\n'
    rows: list[tuple[str, Content, str]] = [
        ("extends, peak_flops='lots'", mine + 'peak_flops = "lots"\n', "hw.toml, peak_flops"),
        ("extends, peak_flops=5", mine + "peak_flops = 5\n", "hw.toml, peak_flops"),
        ("extends, peak_flops=[]", mine + "peak_flops = []\n", "hw.toml, peak_flops"),
    ]
    for label, value in (
        ("'lots'", '"lots"'),
        ("-1", "-1"),
        ("nan", "nan"),
        ("inf", "inf"),
        ("1e400", "1e400"),
        ("1e-320", "1e-320"),
        ("400 digits", HUGE.text),
        ("true", "true"),
    ):
        rows.append(
            (
                f"peak_flops.fp16={label}",
                mine + f"peak_flops = {{ fp16 = {value} }}\n",
                "hw.toml, fp16",
            )
        )
    rows.append(
        ("peak_flops.fp99", mine + 'peak_flops = { fp99 = "1 TFLOP/s" }\n', "hw.toml, fp99")
    )
    for label, value in (
        ("'fast'", '"fast"'),
        ("0", "0"),
        ("-1", "-1"),
        ("nan", "nan"),
        ("inf", "inf"),
        ("1e-320", "1e-320"),
        ("true", "true"),
        ("[]", "[]"),
        ("'1.2 ms'", '"1.2 ms"'),
        ("100k chars", '"' + "x" * 100_000 + '"'),
        ("400 digits", HUGE.text),
    ):
        rows.append(
            (
                f"memory_bandwidth={label}",
                mine + f"memory_bandwidth = {value}\n",
                "hw.toml, memory_bandwidth",
            )
        )
    rows += [
        ("memory_capacity=-1", mine + "memory_capacity = -1\n", "hw.toml, memory_capacity"),
        (
            "interconnect_bandwidth='lots'",
            mine + 'interconnect_bandwidth = "lots"\n',
            "hw.toml, interconnect_bandwidth",
        ),
        ("empty file", "", "hw.toml"),
        ("comments only", "# nothing here\n", "hw.toml"),
        ("binary", BINARY, "hw.toml"),
        ("malformed TOML", "[[[\n", "hw.toml"),
        ("extends='h1000'", '[mine]\nextends = "h1000"\n', "hw.toml, h1000"),
        ("extends=5", "[mine]\nextends = 5\n", "hw.toml, extends"),
        ("extends=100k chars", '[mine]\nextends = "' + "x" * 100_000 + '"\n', "hw.toml, extends"),
        ("extends loop", '[a]\nextends = "b"\n[b]\nextends = "a"\n', "hw.toml, loop|extends"),
        (
            "unknown field peak_flop",
            mine + 'peak_flop = { fp16 = "1 TFLOP/s" }\n',
            "hw.toml, peak_flop",
        ),
        ("top-level foo=5", "foo = 5\n", "hw.toml, foo"),
        (
            "clash with catalog h100-sxm",
            '[h100-sxm]\nmemory_bandwidth = "1 TB/s"\npeak_flops = { fp16 = "1 TFLOP/s" }\n',
            "hw.toml, h100-sxm",
        ),
        (
            "no memory_bandwidth",
            '[mine]\npeak_flops = { fp16 = "1 TFLOP/s" }\n',
            "hw.toml, memory_bandwidth",
        ),
        ("100000 [ deep", "a = " + DEEP_OPEN + "\n", "hw.toml"),
    ]
    cases = [hwfile_case(id_, content, culprit) for id_, content, culprit in rows]
    cases += [
        hwfile_case("file missing", None, "nope.toml", path="nope.toml"),
        hwfile_case("a directory", None, "hwdir", path="hwdir", files={"hwdir/x.toml": ""}),
        hwfile_case("path ''", None, "--roofline-hardware-file|empty", path=""),
    ]
    return cases


def pyproject_case(id_: str, body: str | bytes, culprit: str, *, raw: bool = False) -> Case:
    """``body`` under ``[tool.pytest-roofline]`` (``raw``: the whole file). A key naming an
    output is not shadowed by the command line's outputs."""
    text: Content = body if raw else "[tool.pytest-roofline]\n" + str(body) + "\n"
    output_key = isinstance(body, str) and body.startswith(("json", "markdown", "html"))
    return PytestCase(
        "pyproject",
        id_,
        names(culprit),
        {"pyproject.toml": text},
        scope="run",
        outputs=() if output_key else DEFAULT_OUTPUTS,
    )


def pyproject_cases() -> list[Case]:
    rows: list[tuple[str, str]] = [  # (key = value, culprit)
        ("hardware_file = 5", "hardware_file"),
        ("hardware_file = true", "hardware_file"),
        ("hardware_file = [5]", "hardware_file"),
        ('hardware_file = ""', "hardware_file"),
        ('hardware_file = ["missing.toml"]', "missing.toml"),
        ("min_utilization = 5", "min_utilization"),
        ('min_utilization = "lots"', "min_utilization"),
        ("min_utilization = nan", "min_utilization"),
        ("min_utilization = -0.5", "min_utilization"),
        ("min_utilization = true", "min_utilization"),
        ("min_utilization = []", "min_utilization"),
        (f"min_utilization = {HUGE.text}", "min_utilization"),
        ("max_drop = 2", "max_drop"),
        ('max_drop = "x"', "max_drop"),
        ("max_drop = nan", "max_drop"),
        ("max_time = 0", "max_time"),
        ('max_time = "forever"', "max_time"),
        ("max_time = inf", "max_time"),
        ("max_time = -1", "max_time"),
        ("json = 5", "json"),
        ('json = ""', "json"),
        ("json = true", "json"),
        ("markdown = []", "markdown"),
        ("html = {}", "html"),
        ('save = "../x"', "save"),
        ("save = 5", "save"),
        ('compare = "nope"', "nope"),
        ('compare = ""', "compare"),
        ('warn_only = "maybe"', "warn_only"),
        ("calibrate = 5", "calibrate"),
        ('paired = "yes please"', "paired"),
        ("github_summary = []", "github_summary"),
        ('default_hardware = "h1000"', "h1000"),
        ("default_hardware = 5", "default_hardware"),
        ('default_hardware = "' + "x" * 100_000 + '"', "default_hardware"),
        ("hardware = 5", "hardware"),
        ("models = 5", "models"),
        ("min_utilisation = 0.5", "min_utilisation"),
        (
            '[tool.pytest-roofline.hardware.mine]\nextends = "h100-sxm"\npeak_flops = "lots"',
            "mine, peak_flops",
        ),
        ('[tool.pytest-roofline.hardware.mine]\nextends = "h1000"', "h1000"),
        (
            "[tool.pytest-roofline.models.m]\nhidden_size = "
            + "1"
            + "0" * 200
            + "\nlayers = 32\nheads = 32\nintermediate_size = 11008\nvocab_size = 32000",
            "hidden_size",
        ),
    ]
    cases = [pyproject_case(shorten(body, 70), body, culprit) for body, culprit in rows]
    cases += [
        pyproject_case("binary pyproject.toml", BINARY, "pyproject.toml", raw=True),
        pyproject_case("tool = 5", "tool = 5\n", "pyproject.toml, tool", raw=True),
        pyproject_case(
            "[tool] pytest-roofline = 5",
            "[tool]\npytest-roofline = 5\n",
            "pytest-roofline",
            raw=True,
        ),
        pyproject_case("100000 [ deep", "x = " + DEEP_OPEN + "\n", "pyproject.toml", raw=True),
    ]
    return cases


def ini_cases() -> list[Case]:
    rows = [
        ("roofline_min_utilization = lots", "roofline_min_utilization"),
        ("roofline_min_utilization = 5", "roofline_min_utilization"),
        ("roofline_min_utilization = nan", "roofline_min_utilization"),
        ("roofline_max_drop = 2", "roofline_max_drop"),
        ("roofline_max_time = forever", "roofline_max_time"),
        ("roofline_max_time = 0", "roofline_max_time"),
        ("roofline_max_time = 1e400", "roofline_max_time"),
        ("roofline_hardware = h1000", "h1000"),
        ("roofline_warn_only = maybe", "roofline_warn_only"),
        ("roofline_calibrate = 2", "roofline_calibrate"),
        ("roofline_paired = perhaps", "roofline_paired"),
        ("roofline_github_summary = sure", "roofline_github_summary"),
        ("roofline_save = ../x", "roofline_save"),
        ("roofline_compare = nope", "nope"),
        ("roofline_hardware_file = missing.toml", "missing.toml"),
        ("roofline_unknown_key = 1", "roofline_unknown_key"),
    ]
    cases: list[Case] = [
        PytestCase("ini", line, names(culprit), {"pytest.ini": f"[pytest]\n{line}\n"}, scope="run")
        for line, culprit in rows
    ]
    cases.append(
        PytestCase(
            "ini",
            "roofline_json = r.json, roofline_markdown = r.json",
            names("roofline_json, roofline_markdown"),
            {"pytest.ini": "[pytest]\nroofline_json = r.json\nroofline_markdown = r.json\n"},
            outputs=(("json", "r.json"), ("md", "r.json")),
            scope="run",
            output_args=False,
        )
    )
    return cases


def option_case(
    id_: str,
    args: Sequence[str],
    culprit: str,
    outputs: tuple[tuple[str, str], ...] = DEFAULT_OUTPUTS,
    *,
    files: Mapping[str, Content] | None = None,
    env: Mapping[str, str] | None = None,
    unwritable: tuple[str, ...] = (),
) -> Case:
    return PytestCase(
        "options",
        id_,
        names(culprit),
        dict(files or {}),
        args=tuple(args),
        outputs=outputs,
        scope="run",
        env=dict(env or {}),
        unwritable=unwritable,
    )


def option_cases() -> list[Case]:
    json_only = (("json", "out.json"),)
    md_only = (("md", "out.md"),)
    blocker = {"blocker": "a regular file\n"}
    cases = [
        option_case("--roofline-json ''", ["--roofline-json", ""], "--roofline-json", md_only),
        option_case(
            "--roofline-json r.json --roofline-markdown r.json",
            [],
            "--roofline-json, --roofline-markdown",
            (("json", "r.json"), ("md", "r.json")),
        ),
        option_case(
            "--roofline-json .roofline/main.json --roofline-save main",
            ["--roofline-save", "main"],
            "--roofline-json, --roofline-save",
            (("json", ".roofline/main.json"), ("md", "out.md")),
        ),
        option_case(
            "--roofline-markdown x --roofline-html x",
            [],
            "--roofline-markdown, --roofline-html",
            (("json", "out.json"), ("md", "x"), ("html", "x")),
        ),
        option_case(
            "--roofline-json out.json --roofline-html out.json",
            [],
            "--roofline-json, --roofline-html",
            (("json", "out.json"), ("md", "out.md"), ("html", "out.json")),
        ),
        option_case(
            "--roofline-json ./out.json --roofline-markdown out.json",
            [],
            "--roofline-json, --roofline-markdown",
            (("json", "./out.json"), ("md", "out.json")),
        ),
        option_case(
            "--roofline-json out.json --junit-xml out.json",
            ["--junit-xml", "out.json"],
            "--roofline-json, junit",
        ),
        option_case(
            "--roofline-json under a regular file",
            ["--roofline-json", "blocker/out.json"],
            UNDER_A_FILE,
            md_only,
            files=blocker,
        ),
        option_case(
            "--roofline-markdown under a regular file",
            ["--roofline-markdown", "blocker/out.md"],
            UNDER_A_FILE,
            json_only,
            files=blocker,
        ),
        option_case(
            "--roofline-html under a regular file",
            ["--roofline-html", "blocker/x.html"],
            UNDER_A_FILE,
            files=blocker,
        ),
        option_case(
            "--roofline-json in an unwritable folder",
            ["--roofline-json", "locked-dir/out.json"],
            "locked-dir",
            md_only,
            files={"locked-dir/keep": ""},
            unwritable=("locked-dir",),
        ),
        option_case(
            "--roofline-markdown in an unwritable folder",
            ["--roofline-markdown", "locked-dir/out.md"],
            "locked-dir",
            json_only,
            files={"locked-dir/keep": ""},
            unwritable=("locked-dir",),
        ),
        option_case(
            "--roofline-save with .roofline unwritable",
            ["--roofline-save", "main"],
            ".roofline, main",
            files={".roofline/keep": ""},
            unwritable=(".roofline",),
        ),
        option_case(
            "--roofline-json a directory",
            ["--roofline-json", "somedir"],
            "somedir",
            md_only,
            files={"somedir/keep": ""},
        ),
        option_case(
            "--roofline-json name of 300 chars",
            ["--roofline-json", "x" * 300 + ".json"],
            "--roofline-json|too long",
            md_only,
        ),
        option_case(
            "--roofline-github-summary into a missing folder",
            ["--roofline-github-summary"],
            "GITHUB_STEP_SUMMARY|missing-dir",
            env={"GITHUB_STEP_SUMMARY": "missing-dir/summary.md"},
        ),
    ]
    for option, bad in (
        ("--roofline-min-utilization", ("5", "nan", "-1", "lots", "", "inf")),
        ("--roofline-max-drop", ("0", "1", "nan", "lots")),
        ("--roofline-max-time", ("0", "nan", "inf", "-1", "1 lightyear", "1e400")),
        ("--roofline-hardware", ("h1000", "", "x" * 100_000)),
        ("--roofline-save", ("../evil", "", "a/b", "x" * 200)),
        ("--roofline-compare", ("", "../x", "nope")),
    ):
        for value in bad:
            shown = value if len(value) < 20 else f"<{len(value)} chars>"
            culprit = option if value != "nope" else f"{option}|nope"
            cases.append(option_case(f"{option} {shown!r}", [option, value], culprit))
    return cases


def baseline_case(
    id_: str, content: Content, culprit: str, name: str = "main", ini: str = ""
) -> Case:
    """``--roofline-compare NAME`` (or ``ini``) with ``content`` in .roofline/main.json."""
    files: dict[str, Content] = {".roofline/main.json": content}
    if ini:
        files["pytest.ini"] = f"[pytest]\n{ini}\n"
    args = () if ini else ("--roofline-compare", name)
    return PytestCase("baseline", id_, names(culprit), files, args=args, scope="run")


def baseline_cases() -> list[Case]:
    entry = BASELINE["results"]["test_good.py::test_good_gemm"]  # type: ignore[index]

    def with_entry(**changes: object) -> str:
        return changed(BASELINE, results={"test_good.py::test_good_gemm": {**entry, **changes}})

    fix = "save"  # a corrupt baseline should say what to do: save it again
    rows: list[tuple[str, Content, str]] = [
        ("truncated '{'", '{"schema": ', f"main, {fix}"),
        ("empty file", "", f"main, {fix}"),
        ("binary", BINARY, f"main, {fix}"),
        ("100000 [", DEEP_OPEN, f"main, {fix}"),
        ("utilization 400 digits", with_entry(utilization=HUGE), f"main, utilization, {fix}"),
        ("utilization NaN", with_entry(utilization=Raw("NaN")), f"main, utilization, {fix}"),
        ("utilization 'x'", with_entry(utilization="x"), f"main, utilization, {fix}"),
        ("utilization -1", with_entry(utilization=-1), f"main, utilization, {fix}"),
        (
            "best_stretch_utilization 1e400",
            with_entry(best_stretch_utilization=Raw("1e400")),
            f"main, utilization, {fix}",
        ),
        (
            "schema version 9",
            changed(BASELINE, schema="pytest-roofline-baseline/9"),
            f"main, /9, {fix}",
        ),
        ("no schema", changed(BASELINE, schema=DROP), f"main, schema, {fix}"),
        ("no results", changed(BASELINE, results=DROP), f"main, results, {fix}"),
        ("results a list", changed(BASELINE, results=[]), f"main, results, {fix}"),
        (
            "an empty entry",
            changed(BASELINE, results={"test_good.py::test_good_gemm": {}}),
            f"main, utilization, {fix}",
        ),
        (
            "utilization_ci of 3",
            with_entry(utilization_ci=[0.1, 0.2, 0.3]),
            f"main, utilization_ci, {fix}",
        ),
        ("utilization_ci null", with_entry(utilization_ci=None), f"main, utilization_ci, {fix}"),
        ("no fingerprint", changed(BASELINE, fingerprint=DROP), f"main, fingerprint, {fix}"),
        ("a list", "[]", f"main, {fix}"),
        ("null", "null", f"main, {fix}"),
        (
            "entry nested 100000 deep",
            changed(BASELINE, results={"test_good.py::test_good_gemm": Raw(DEEP)}),
            f"main, {fix}",
        ),
    ]
    cases = [baseline_case(id_, content, culprit) for id_, content, culprit in rows]
    cases += [
        baseline_case(
            "corrupt, compared from ini", '{"schema": ', "main", ini="roofline_compare = main"
        ),
        baseline_case(
            "--roofline-compare main.json", json_text(BASELINE), "main.json", name="main.json"
        ),
    ]
    return cases


SERVE = {
    "--model": "llama-2-7b",
    "--hardware": "a100-sxm4-80gb",
    "--prompt": "512",
    "--decode": "128",
}


def serve(**changes: str | None) -> tuple[str, ...]:
    """``roofline serving`` arguments; changes by option name without dashes (None: drop)."""
    options: dict[str, str | None] = {**SERVE}
    for key, value in changes.items():
        options["--" + key.replace("_", "-")] = value
    argv = ["serving"]
    for option, value in options.items():
        if value is not None:
            argv += [option, value]
    return tuple(argv)


def cli_case(
    id_: str,
    argv: Sequence[str],
    culprit: str,
    files: Mapping[str, Content] | None = None,
    keep: Sequence[str] = (),
) -> Case:
    return CliCase(
        "cli", id_, names(culprit), dict(files or {}), argv=tuple(argv), keep=tuple(keep)
    )


BAD_REPORTS: tuple[tuple[str, Content | None, str], ...] = (
    ("missing file", None, "r.json"),
    ("empty file", "", "r.json"),
    ("binary", BINARY, "r.json"),
    ("truncated", truncated_report, "r.json"),
    ("100000 [", DEEP_OPEN, "r.json"),
    ("100000 [ closed", DEEP, "r.json"),
    ("no results", report_doc(), "r.json, results"),
    ("results null", report_doc(results=None), "r.json, results"),
    ("results ['a']", report_doc(results=["a"]), "r.json, result"),
    ("results [{}]", report_doc(results=[{}]), "r.json, results|nodeid"),
    ("results [{nodeid}]", report_doc(results=[{"nodeid": "t"}]), "r.json"),
    ("schema version 9", report_doc(schema="pytest-roofline/9", results=[]), "r.json, /9"),
    ("a list", "[]", "r.json"),
    (
        "utilization NaN",
        edited_report(lambda r: r.update(utilization=Raw("NaN"))),
        "r.json, utilization",
    ),
    (
        "bound_seconds 400 digits",
        edited_report(lambda r: r.update(bound_seconds=HUGE)),
        "r.json, bound_seconds",
    ),
    ("a directory", None, "r.json"),
)


def report_files(label: str, content: Content | None) -> dict[str, Content]:
    if label == "a directory":
        return {"r.json/keep": ""}
    return {} if content is None else {"r.json": content}


def cli_cases() -> list[Case]:
    cases = []
    for option, bad in (
        ("prompt", ("inf", "nan", "-1", "1e400", "")),
        ("decode", ("1e-300", "0", "nan", "inf", "-5")),
        ("gpus", ("0", "-1", "1" + "0" * 200, "1.5")),
        ("batch", ("1e-320", "inf", "nan", "0", "-1")),
        ("params", ("lots", "inf", "-1", "1e400", "")),
        ("model", ("no-such-model", "x" * 100_000, "")),
        ("hardware", ("h1000", "")),
        ("dtype", ("fp33",)),
        ("kv_dtype", ("x",)),
    ):
        for value in bad:
            shown = value if len(value) < 20 else f"<{len(value)} chars>"
            culprit = option.replace("_", "-").split("-")[0]
            if value in ("no-such-model", "h1000", "fp33"):
                culprit += f"|{value}"
            cases.append(
                cli_case(
                    f"serving --{option.replace('_', '-')} {shown!r}",
                    serve(**{option: value}),
                    culprit,
                )
            )
    cases += [
        cli_case(
            "serving --model and --hf-config",
            serve(hf_config="config.json"),
            "--model, --hf-config",
            {"config.json": json_text(HF)},
        ),
        cli_case(
            "serving without --model or --hf-config", serve(model=None), "--model, --hf-config"
        ),
        cli_case(
            "serving --hf-config missing.json",
            serve(model=None, hf_config="missing.json"),
            "missing.json",
        ),
    ]
    for label, content, culprit in BAD_REPORTS:
        files = report_files(label, content)
        cases.append(cli_case(f"summary: {label}", ["summary", "r.json"], culprit, files))
    picks = (
        "missing file",
        "binary",
        "truncated",
        "100000 [",
        "results null",
        "results ['a']",
        "results [{}]",
        "utilization NaN",
        "schema version 9",
    )
    for label, content, culprit in BAD_REPORTS:
        if label in picks:
            files = report_files(label, content)
            cases.append(
                cli_case(
                    f"report: {label}", ["report", "r.json", "--markdown", "o.md"], culprit, files
                )
            )
            other = {**files, "new.json": valid_report}
            cases.append(cli_case(f"diff: {label}", ["diff", "r.json", "new.json"], culprit, other))
    for label, content, culprit in BAD_REPORTS:
        if label in ("binary", "truncated", "results null", "results ['a']", "utilization NaN"):
            cases.append(
                cli_case(
                    f"plot: {label}",
                    ["plot", "r.json", "-o", "o.png"],
                    culprit,
                    report_files(label, content),
                )
            )
    valid = {"r.json": valid_report}
    cases += [
        cli_case(
            "report r.json --markdown r.json",
            ["report", "r.json", "--markdown", "r.json"],
            "r.json, --markdown",
            valid,
            keep=["r.json"],
        ),
        cli_case(
            "report r.json --html r.json",
            ["report", "r.json", "--html", "r.json"],
            "r.json, --html",
            valid,
            keep=["r.json"],
        ),
        cli_case(
            "report r.json --markdown o.md --html o.md",
            ["report", "r.json", "--markdown", "o.md", "--html", "o.md"],
            "--markdown, --html",
            valid,
        ),
        cli_case("report without --markdown or --html", ["report", "r.json"], "--markdown", valid),
        cli_case(
            "report --markdown under a regular file",
            ["report", "r.json", "--markdown", "blocker/o.md"],
            UNDER_A_FILE,
            {**valid, "blocker": "a file\n"},
        ),
        cli_case("report --markdown ''", ["report", "r.json", "--markdown", ""], "markdown", valid),
        cli_case(
            "plot r.json -o r.json",
            ["plot", "r.json", "-o", "r.json"],
            "r.json",
            valid,
            keep=["r.json"],
        ),
        cli_case("plot -o x.txt", ["plot", "r.json", "-o", "x.txt"], "x.txt|.txt", valid),
        cli_case(
            "plot -o under a regular file",
            ["plot", "r.json", "-o", "blocker/o.png"],
            UNDER_A_FILE,
            {**valid, "blocker": "a file\n"},
        ),
        cli_case(
            "diff with the new report missing",
            ["diff", "r.json", "missing.json"],
            "missing.json",
            valid,
        ),
        cli_case("hardware h1000", ["hardware", "h1000"], "h1000"),
        cli_case("hardware ''", ["hardware", ""], "hardware"),
        cli_case("hardware <100k chars>", ["hardware", "x" * 100_000], "hardware"),
    ]
    return cases


def hf_cases() -> list[Case]:
    rows: list[tuple[str, Content, str]] = [
        ("hidden_size=10**200", changed(HF, hidden_size=10**200), "hidden_size"),
        ("hidden_size='4096'", changed(HF, hidden_size="4096"), "hidden_size"),
        ("hidden_size=-1", changed(HF, hidden_size=-1), "hidden_size"),
        ("hidden_size=4096.5", changed(HF, hidden_size=4096.5), "hidden_size"),
        ("hidden_size=NaN", changed(HF, hidden_size=Raw("NaN")), "hidden_size"),
        ("no num_hidden_layers", changed(HF, num_hidden_layers=DROP), "num_hidden_layers"),
        ("vocab_size=null", changed(HF, vocab_size=None), "vocab_size"),
        (
            "intermediate_size=1e400",
            changed(HF, intermediate_size=Raw("1e400")),
            "intermediate_size",
        ),
        (
            "num_key_value_heads=3",
            changed(HF, num_key_value_heads=3),
            "num_key_value_heads|kv_heads",
        ),
        ("num_attention_heads=0", changed(HF, num_attention_heads=0), "num_attention_heads|heads"),
        ("num_local_experts=0", changed(HF, num_local_experts=0), "num_local_experts|experts"),
        (
            "num_experts_per_tok=100 of 8",
            changed(HF, num_local_experts=8, num_experts_per_tok=100),
            "num_experts_per_tok|experts",
        ),
        ("binary", BINARY, "config.json"),
        ("empty", "", "config.json"),
        ("100000 [", DEEP_OPEN, "config.json"),
        ("a list", "[]", "config.json"),
        ("truncated", '{"hidden_size": 4096,', "config.json"),
    ]
    head = (
        'MODEL = Transformer.from_hf_config("config.json")\n'
        'BAD = ServingConfig(model=MODEL, hardware="a100-sxm4-80gb", prompt_tokens=512,'
        " decode_tokens=128)"
    )
    cases: list[Case] = []
    for id_, content, culprit in rows:
        culprits = names(f"config.json, {culprit}")
        argv = serve(model=None, hf_config="config.json")
        cases.append(
            CliCase(
                "hfconfig",
                f"roofline serving: {id_}",
                culprits,
                {"config.json": content},
                argv=argv,
            )
        )
        module = bad_module(REPORT_TOKENS, "serving=BAD", head=head)
        cases.append(
            PytestCase(
                "hfconfig",
                f"from_hf_config at import: {id_}",
                culprits,
                {"test_bad.py": module, "config.json": content},
                marked=BAD_NODE,
            )
        )
    return cases


XDIST_PICKS = (
    "fixture/report(seconds=5e-324)",
    "fixture/report(seconds=nan)",
    "fixture/report(seconds=10**400)",
    "fixture/report(flops_per_second=1e-310)",
    "fixture/report(seconds=Fraction(1, 10**400))",
    "fixture/report_engine_result(123)",
    "fixture/measure(rounds=0)",
    "fixture/declare(5)",
    "fixture/report() in a session fixture's teardown",
    "kernels/ServingConfig(prompt_tokens=inf)",
    "kernels/ServingConfig(decode_tokens=1e-300)",
    "kernels/Kernel(flops=10**400)",
    "kernels/matmul(m=n=k=10**200)",
    "marker/hardware='h1000'",
    "marker/min_utilization=10**400",
    "marker/min_utilization=nan",
    "marker/unknown keyword foo",
    "engine/vllm completed=0.5",
    "engine/vllm duration=1e-320",
    "engine/100000 [",
    "engine/binary",
    "engine/vllm completed=400 digits",
)


def xdist_cases(pool: Iterable[Case]) -> list[Case]:
    by_name = {case.name: case for case in pool}
    picked = [by_name[name] for name in XDIST_PICKS if name in by_name]
    return [
        replace(case, surface="xdist", id=case.name, xdist=True)
        for case in picked
        if isinstance(case, PytestCase)
    ]


def crash_cases() -> list[Case]:
    cases: list[Case] = [
        KillCase("crash", f"kill -9 while writing {target}", pause_at=target)
        for target in ("out.json", "out.md", "main.json")
    ]
    cases += [
        KillCase("crash", f"kill -9 at {at:.0%} of a run", at=at)
        for at in (0.5, 0.8, 0.9, 0.95, 0.98)
    ]
    cases += [ConcurrentCase("crash", f"two runs, same outputs ({i})") for i in (1, 2, 3)]
    cases += [
        ConcurrentCase("crash", f"save while another run compares ({i})", mode="save-compare")
        for i in (1, 2)
    ]
    cases.append(
        ConcurrentCase(
            "crash", "roofline summary while a run rewrites the report", mode="read-while-write"
        )
    )
    return cases


MAY_ACCEPT = {
    "fixture/report(seconds='1.2 ms')": "figures take units (docs/reference.md)",
    "kernels/matmul(dtype=None)": "None is the usual spelling of a default",
    "kernels/Transformer(layers='32')": "a numeric string, read exactly",
    "hfconfig/roofline serving: hidden_size='4096'": "a numeric string, read exactly",
    "hfconfig/from_hf_config at import: hidden_size='4096'": "a numeric string, read exactly",
    "engine/UTF-8 BOM": "a byte-order mark hides nothing",
}
"""Bad inputs that may also rightly be accepted: clean whether refused clearly or taken."""


def all_cases() -> list[Case]:
    cases: list[Case] = [
        *marker_cases(),
        *kernel_cases(),
        *fixture_cases(),
        *engine_cases(),
        *hwfile_cases(),
        *pyproject_cases(),
        *ini_cases(),
        *option_cases(),
        *baseline_cases(),
        *cli_cases(),
        *hf_cases(),
    ]
    cases = [replace(c, may_accept=True) if c.name in MAY_ACCEPT else c for c in cases]
    cases += xdist_cases(cases)
    cases += crash_cases()
    seen: set[str] = set()
    for case in cases:
        if case.name in seen:
            raise SystemExit(f"two cases named {case.name!r}")
        seen.add(case.name)
    return cases


# -- running the campaign ----------------------------------------------------------------


def run_case(case: Case, folder: Path) -> Outcome:
    folder.mkdir(parents=True)
    try:
        return case.run(folder)
    except Exception as error:  # the campaign's own bug: say so, do not stop the others
        print(f"{case.name}: CAMPAIGN ERROR {error!r}", file=sys.stderr)
        return Outcome("clean", f"CAMPAIGN ERROR {type(error).__name__}: {error}")


def print_table(
    cases: Sequence[Case], outcomes: Mapping[str, Outcome], show_clean: bool = False
) -> None:
    """Counts per surface and class; then each case that is not clean, with its line."""
    surfaces = list(dict.fromkeys(case.surface for case in cases))
    width = max(len(s) for s in [*surfaces, "surface"])
    header = f"{'surface':<{width}}  {'cases':>5}  " + "  ".join(f"{c:>{len(c)}}" for c in CLASSES)
    print(header)
    print("-" * len(header))
    totals = dict.fromkeys(CLASSES, 0)
    for surface in [*surfaces, "total"]:
        chosen = [c for c in cases if surface in ("total", c.surface)]
        counts = {k: sum(outcomes[c.name].kind == k for c in chosen) for k in CLASSES}
        if surface != "total":
            for k in CLASSES:
                totals[k] += counts[k]
        else:
            print("-" * len(header))
        cells = "  ".join(f"{counts[k]:>{len(k)}}" for k in CLASSES)
        print(f"{surface:<{width}}  {len(chosen):>5}  {cells}")
    for kind in CLASSES[:-1]:
        chosen = [c for c in cases if outcomes[c.name].kind == kind]
        if not chosen:
            continue
        print(f"\n{kind} ({len(chosen)})")
        for case in chosen:
            outcome = outcomes[case.name]
            print(f"  {shorten(case.name, 100)}: {shorten(outcome.line)}")
            for also in outcome.also:
                print(f"      also {also}")
    clean = [c for c in cases if outcomes[c.name].kind == "clean"]
    notes = [c for c in clean if outcomes[c.name].line.startswith(("not exercised", "CAMPAIGN"))]
    for title, shown in (("clean", clean if show_clean else []), ("notes", notes)):
        if shown:
            print(f"\n{title} ({len(shown)})")
        for case in shown:
            print(f"  {shorten(case.name, 100)}: {shorten(outcomes[case.name].line)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="surfaces to run, comma-separated")
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    parser.add_argument("--match", default="", help="only cases whose name holds this text")
    parser.add_argument("--list", action="store_true", help="list the cases and stop")
    parser.add_argument("--keep", action="store_true", help="keep the cases' folders")
    parser.add_argument(
        "--show-clean", action="store_true", help="list the clean cases too, with their line"
    )
    args = parser.parse_args()
    cases = all_cases()
    if args.only:
        wanted = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in SURFACES]
        if unknown:
            parser.error(f"--only: unknown surface {unknown[0]!r}; known: {', '.join(SURFACES)}")
        cases = [case for case in cases if case.surface in wanted]
    cases = [case for case in cases if args.match in case.name]
    if args.list:
        for case in cases:
            print(shorten(case.name, 160))
        print(f"{len(cases)} cases", file=sys.stderr)
        return
    root = Path(tempfile.mkdtemp(prefix="bad-inputs-"))
    print(f"{len(cases)} cases in {root}, {args.jobs} at a time", file=sys.stderr)
    outcomes: dict[str, Outcome] = {}
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {
            pool.submit(run_case, case, root / f"{i:04d}-{case.surface}"): case
            for i, case in enumerate(cases)
        }
        for done, future in enumerate(as_completed(futures), start=1):
            case = futures[future]
            outcome = outcomes[case.name] = future.result()
            print(
                f"[{done}/{len(cases)} {time.monotonic() - started:5.0f} s] {case.name}:"
                f" {outcome.kind}",
                file=sys.stderr,
            )
    print_table(cases, outcomes, args.show_clean)
    print(f"\n{len(cases)} cases in {time.monotonic() - started:.0f} s", file=sys.stderr)
    if args.keep:
        print(f"folders kept in {root}", file=sys.stderr)
    else:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
