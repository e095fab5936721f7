"""The HTML report in a real browser: headless Chromium renders it, runs its script, and
draws every point where its ``data-x-px``/``data-y-px`` say.

Placement is checked without guessing where the chart lands on the page: the test adds a
small script to a copy of the report that writes each chart's page offset
(``getBoundingClientRect`` plus scroll) into the chart's attributes, reads those back with
``--dump-dom``, then takes a ``--screenshot`` of the same file at the same window size (the
layout is the same). A point's centre on the screenshot is then the chart's offset plus its
SVG pixel coordinates, and the pixel there must have the point's outcome colour, nearer to it
than to any other outcome colour. The sample has one point per outcome on each chart, so a
point drawn in the wrong place, or not at all, leaves the wrong colour at that spot. The
points' 5 px radius leaves their centre pixels untouched by anti-aliasing.

Skipped when Chromium is not installed (CI installs it). How labels and tables are laid
out is checked in test_report_layout.py.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pytest_roofline.report.format import OUTCOME_COLORS
from pytest_roofline.report.html import render_html

Browser = Callable[..., bytes]
"""The ``browser`` fixture (tests/report/conftest.py)."""

WIDTH, HEIGHT = 1200, 2400

MEASURE = """<script>
Array.prototype.forEach.call(document.querySelectorAll("svg.roofline"), function (svg) {
  var box = svg.getBoundingClientRect();
  svg.setAttribute("data-page-left", String(box.left + window.scrollX));
  svg.setAttribute("data-page-top", String(box.top + window.scrollY));
});
</script>"""

# Click the utilization header of the first kernel table twice, noting the order each time.
CLICK = """<script>
(function () {
  var table = document.querySelector("table.kernels");
  var head = table.tHead.rows[0].cells[7];
  function order() {
    return Array.prototype.map.call(table.tBodies[0].rows, function (row) {
      return row.getAttribute("data-outcome");
    }).join(",");
  }
  head.click();
  document.body.setAttribute("data-first-click", order());
  head.click();
  document.body.setAttribute("data-second-click", order());
})();
</script>"""


def decode_png(data: bytes) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Pixels (height, width, 3) of an 8-bit RGB or RGBA, non-interlaced PNG.

    The standard library has no PNG reader and matplotlib is optional, so this is the
    format's few rules (PNG specification, sections 5, 9 and 11.2.2): chunks, one zlib
    stream across the IDAT chunks, and a filter byte per row.
    """
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], b""
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    depth, color, interlace = header[8], header[9], header[12]
    assert (depth, interlace) == (8, 0), "only 8-bit non-interlaced PNGs"
    channels = {2: 3, 6: 4}[color]
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    out = np.zeros((height, stride), dtype=np.int32)
    previous = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        row = np.frombuffer(raw, np.uint8, stride, start + 1).astype(np.int32)
        if kind == 0:
            current = row
        elif kind == 1:  # Sub: a running sum along each channel
            current = np.cumsum(row.reshape(width, channels), axis=0).reshape(-1) & 0xFF
        elif kind == 2:
            current = (row + previous) & 0xFF
        elif kind in (3, 4):
            # Average and Paeth depend on the byte just decoded: byte by byte.
            current = np.zeros(stride, dtype=np.int32)
            for i in range(stride):
                left = current[i - channels] if i >= channels else 0
                up = previous[i]
                if kind == 3:
                    guess = (left + up) // 2
                else:
                    up_left = previous[i - channels] if i >= channels else 0
                    p = left + up - up_left
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                    guess = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                current[i] = (row[i] + guess) & 0xFF
        else:
            raise AssertionError(f"bad PNG filter {kind}")
        out[y] = current
        previous = current
    return out.reshape(height, width, channels)[..., :3].astype(np.uint8)


def _rgb(color: str) -> np.ndarray[Any, np.dtype[np.int32]]:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int32)


def test_png_decoder_reads_every_filter() -> None:
    """The decoder against a PNG built by hand with each filter type (0 to 4)."""
    pixels = np.arange(5 * 4 * 3, dtype=np.uint8).reshape(5, 4, 3) * 3
    raw = b""
    for y, filter_type in enumerate(range(5)):
        row = pixels[y].reshape(-1).astype(np.int32)
        up = pixels[y - 1].reshape(-1).astype(np.int32) if y else np.zeros(12, np.int32)
        left = np.concatenate([np.zeros(3, np.int32), row[:-3]])
        up_left = np.concatenate([np.zeros(3, np.int32), up[:-3]])
        p = left + up - up_left
        pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
        paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, up_left))
        guess = [np.zeros(12, np.int32), left, up, (left + up) // 2, paeth][filter_type]
        raw += bytes([filter_type]) + bytes(((row - guess) & 0xFF).astype(np.uint8))

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body).to_bytes(4, "big")
        return len(body).to_bytes(4, "big") + kind + body + crc

    header = (4).to_bytes(4, "big") + (5).to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    assert (decode_png(png) == pixels).all()


def test_report_renders_and_points_sit_at_their_coordinates(
    browser: Browser,
    tmp_path: Path,
    sample_document: Callable[[], dict[str, Any]],
    svgs: Callable[[str], dict[str, ET.Element]],
) -> None:
    document = sample_document()
    page = render_html(document)
    expected = svgs(page)
    measured = tmp_path / "report.html"
    measured.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")

    dom = browser(measured, "--dump-dom", size=(WIDTH, HEIGHT)).decode()
    # The report's own script ran to its end without an error.
    assert re.search(r'<body[^>]*data-sortable="ready"', dom)
    offsets = {
        m["hardware"]: (float(m["left"]), float(m["top"]))
        for m in re.finditer(
            r'<svg[^>]*data-hardware="(?P<hardware>[^"]+)"[^>]*'
            r'data-page-left="(?P<left>[-\d.]+)"[^>]*data-page-top="(?P<top>[-\d.]+)"',
            dom,
        )
    }
    assert set(offsets) == set(expected)

    shot = tmp_path / "report.png"
    browser(measured, f"--screenshot={shot}", size=(WIDTH, HEIGHT))
    image = decode_png(shot.read_bytes())
    assert image.shape == (HEIGHT, WIDTH, 3)
    # Not blank: text, lines and fills give many distinct colours.
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 200

    colors = {outcome: _rgb(color) for outcome, color in OUTCOME_COLORS.items()}
    checked = 0
    for hardware, svg in expected.items():
        left, top = offsets[hardware]
        for point in svg.iter("{http://www.w3.org/2000/svg}circle"):
            if point.attrib.get("class") != "point":
                continue
            x = int(left + float(point.attrib["data-x-px"]))
            y = int(top + float(point.attrib["data-y-px"]))
            assert 0 <= x < WIDTH
            assert 0 <= y < HEIGHT, "the sample's charts fit in the window"
            pixel = image[y, x].astype(np.int32)
            distance = {o: int(np.abs(pixel - c).max()) for o, c in colors.items()}
            outcome = point.attrib["data-outcome"]
            assert distance[outcome] <= 12, (hardware, outcome, pixel.tolist())
            assert min(distance, key=lambda o: distance[o]) == outcome
            checked += 1
    assert checked == 5  # three on h100-sxm, two on local


def test_clicking_a_header_sorts_the_table(
    browser: Browser,
    tmp_path: Path,
    sample_document: Callable[[], dict[str, Any]],
    parsed: Callable[[str], Any],
) -> None:
    page = render_html(sample_document())
    clicked = tmp_path / "clicked.html"
    clicked.write_text(page.replace("</body>", CLICK + "</body>"), encoding="utf-8")
    dom = browser(clicked, "--dump-dom", size=(WIDTH, HEIGHT)).decode()
    first = re.search(r'data-first-click="([^"]*)"', dom)
    second = re.search(r'data-second-click="([^"]*)"', dom)
    assert first is not None
    assert second is not None
    # Utilization ascending (10 %, 50 %, 300 %), then descending; no figure sorts last.
    assert first[1].split(",") == ["failed", "passed", "impossible", "unmeasured"]
    assert second[1].split(",") == ["impossible", "passed", "failed", "unmeasured"]
    rows = parsed(dom)
    heads = [a for table, name, a in rows.headers if "kernels" in table]
    assert heads[7].get("aria-sort") == "descending"
    assert heads[8].get("aria-sort") is None
