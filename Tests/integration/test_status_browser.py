"""The HTML status page in a real browser: headless Chromium (Debian's `chromium`) loads /server-status and
draws its charts. The DOM dump shows the browser's own layout (each chart's size, the rate area's height,
each response-time bar's length), and a screenshot decoded here (PNG in pure Python, zlib only) shows the
charts' colours inside the charts and nowhere else."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from httpdkit import Client

# The fills of the charts (Sources/Server/StatusCharts.swift): the rate area and the response-time bars.
RATE_COLOUR = (0x1F, 0x77, 0xB4)
DURATION_COLOUR = (0xE6, 0x79, 0x1F)
WINDOW = (800, 1600)
# Geometry of the charts in SVG units (StatusCharts): the rate chart's plot area, the longest bar.
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BASE = 70, 610, 12, 132
BAR_MAX = 440

# A script added to a copy of the page (the page itself has none): it writes what the browser laid out
# (document coordinates) into a <pre> that --dump-dom then prints.
MEASURE = """<script>
const charts = [...document.querySelectorAll("svg.chart")].map(svg => {
  const box = svg.getBoundingClientRect();
  const area = svg.querySelector("path");
  return {kind: svg.classList[1], x: box.left + scrollX, y: box.top + scrollY, width: box.width, height: box.height,
          area: area ? area.getBBox().height : null,
          bars: [...svg.querySelectorAll("rect")].map(r => r.getBBox().width)};
});
const pre = document.createElement("pre");
pre.id = "measured";
pre.textContent = JSON.stringify(charts);
document.body.append(pre);
</script>
"""


# --------------------------------------------------------------------------------------------
# Chromium, and PNG decoding
# --------------------------------------------------------------------------------------------


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("chromium is not installed (scripts/install-deps.sh test installs Debian's chromium)")
    return path


def chromium(tmp_path: Path, *args: str, timeout: float = 60.0) -> bytes:
    """Runs headless Chromium with ARGS in a fresh profile and returns its stdout. It runs in a process
    group of its own, which is killed by its ID if it is not done within TIMEOUT (and afterwards, so that
    no helper process outlives the test). --no-sandbox: Chromium's sandbox refuses to run as root."""
    cmd = [chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
           "--force-device-scale-factor=1", "--force-color-profile=srgb",
           f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--user-data-dir={tmp_path / 'chromium-profile'}", *args]
    log = open(tmp_path / "chromium.log", "ab")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish within {timeout} s: {' '.join(args)}")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        log.close()
    assert proc.returncode == 0, (proc.returncode, (tmp_path / "chromium.log").read_text(errors="replace")[-2000:])
    return out


def read_png(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, bytes per pixel, pixel rows) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, header
    bpp = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows = bytearray()
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, row = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                row[i] = (row[i] + row[i - bpp]) & 0xFF
        elif kind == 2:
            row = bytearray((a + b) & 0xFF for a, b in zip(row, prev))
        elif kind == 3:
            for i in range(stride):
                left = row[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = row[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        else:
            assert kind == 0, f"PNG filter {kind}"
        rows += row
        prev = row
    return width, height, bpp, bytes(rows)


class Screenshot:
    def __init__(self, png: bytes):
        self.width, self.height, self.bpp, self.pixels = read_png(png)

    def count(self, colour: tuple[int, int, int], box: tuple[float, float, float, float] | None = None) -> int:
        """Pixels of exactly COLOUR inside BOX (left, top, right, bottom; the whole image when None)."""
        left, top, right, bottom = box or (0, 0, self.width, self.height)
        x0, x1 = max(0, int(left)), min(self.width, int(right + 0.999))
        y0, y1 = max(0, int(top)), min(self.height, int(bottom + 0.999))
        want = bytes(colour)
        n = 0
        for y in range(y0, y1):
            row = self.pixels[(y * self.width + x0) * self.bpp:(y * self.width + x1) * self.bpp]
            n += sum(1 for i in range(0, len(row), self.bpp) if row[i:i + 3] == want)
        return n


# --------------------------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------------------------


def bar_counts(page: str) -> list[int]:
    """The count printed after each response-time bar of the page's (first) durations chart."""
    chart = page[page.index('class="chart durations"'):]
    chart = chart[:chart.index("</svg>")]
    return [int(n.replace(",", "")) for n in re.findall(r'fill="#e6791f"/>\n<text [^>]*>([\d,]+)', chart)]


def test_status_page_charts_are_drawn_by_chromium(start_daemon, tmp_path):
    """Headless Chromium draws the status page's two charts: it parses the live page into SVG elements of
    the declared sizes (640×160 and 640×248), lays out a rate area as high as the busiest bucket (at least
    40 % of the plot) and response-time bars in proportion to their counts, and its screenshot has the rate
    colour inside the rate chart's plot and the bar colour inside the response-time chart, nowhere else."""
    d = start_daemon()
    with Client(d.host, d.port) as c:
        for i in range(60):
            assert c.get("/index.html" if i % 4 else "/missing").status in (200, 404)
    page = d.fetch("/server-status").text
    # No script, no external asset: the only URL is the SVG namespace.
    assert "<script" not in page.lower()
    assert set(re.findall(r"https?://[^\s\"'<>]*", page)) == {"http://www.w3.org/2000/svg"}
    assert page.count("<svg ") == 2

    # 1. The live page, loaded over HTTP: the browser's DOM has both charts with their sizes.
    live = chromium(tmp_path, "--dump-dom", f"http://{d.host}:{d.port}/server-status").decode()
    svgs = re.findall(r"<svg [^>]*>", live)
    assert len(svgs) == 2, live[:2000]
    assert 'class="chart rate" width="640" height="160" viewBox="0 0 640 160"' in svgs[0]
    assert 'class="chart durations" width="640" height="248" viewBox="0 0 640 248"' in svgs[1]
    assert len(re.findall(r"<rect ", live)) == 15 and len(re.findall(r"<path ", live)) == 1

    # 2. The same page with a measuring script: the layout the browser computed.
    (tmp_path / "status.html").write_text(page)
    (tmp_path / "measure.html").write_text(page.replace("</body>", MEASURE + "</body>"))
    dumped = chromium(tmp_path, "--dump-dom", (tmp_path / "measure.html").as_uri()).decode()
    found = re.search(r'<pre id="measured">(.*?)</pre>', dumped, re.S)
    assert found, dumped[-2000:]
    rate, durations = json.loads(found.group(1))
    assert (rate["kind"], rate["width"], rate["height"]) == ("rate", 640, 160)
    assert (durations["kind"], durations["width"], durations["height"]) == ("durations", 640, 248)
    assert durations["y"] > rate["y"] + 160 and durations["y"] + 248 <= WINDOW[1]
    # The busiest bucket is at least 40 % of the plot (the scale is 1, 2 or 5 times a power of ten).
    assert 0.4 * (PLOT_BASE - PLOT_TOP) - 1 <= rate["area"] <= PLOT_BASE - PLOT_TOP, rate
    counts = bar_counts(page)
    assert len(counts) == len(durations["bars"]) == 15 and sum(counts) == 60, counts
    # Each bar's length is its count's share of the largest (at least 1 px), to the 0.1 px the page writes.
    most = max(counts)
    expected = [max(BAR_MAX * n / most, 1) if n else 0 for n in counts]
    assert all(abs(w - e) <= 0.051 for w, e in zip(durations["bars"], expected)), (counts, durations["bars"])

    # 3. A screenshot of the page as served: the charts' colours are where the charts are.
    chromium(tmp_path, f"--screenshot={tmp_path / 'status.png'}", (tmp_path / "status.html").as_uri())
    shot = Screenshot((tmp_path / "status.png").read_bytes())
    assert (shot.width, shot.height) == WINDOW
    x, y = rate["x"], rate["y"]
    plot = (x + PLOT_LEFT, y + PLOT_TOP, x + PLOT_RIGHT, y + PLOT_BASE)
    inside = shot.count(RATE_COLOUR, plot)
    # The busiest bucket is 3 px wide and at least 47 px high (its edges may be blended).
    assert inside >= 2 * 46, inside
    assert shot.count(RATE_COLOUR) == inside
    x, y = durations["x"], durations["y"]
    bars = shot.count(DURATION_COLOUR, (x + PLOT_LEFT, y, x + PLOT_LEFT + BAR_MAX, y + 248))
    # Bars 12 px high; the longest is 440 px long.
    assert bars >= 11 * 439, bars
    assert shot.count(DURATION_COLOUR) == bars
