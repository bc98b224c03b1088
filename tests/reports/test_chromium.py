"""The HTML page and the e-mail HTML in headless Chromium: they render, the numbers are in the DOM,
nothing is loaded from anywhere, and GA4 strings stay text (no script runs).

Needs Debian's `chromium` (.ci/run installs it). Without it these tests fail, on purpose: see
docs/development.md, "Running the tests".
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ga_goals.reports.render import render_report
from tests.reports.test_render import hostile

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: What a test here fails with when Chromium is missing (docs/development.md quotes it).
NEEDS_CHROMIUM = "Debian's chromium is needed: apt-get install chromium (the README's test command does it)"

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
#: Requests the browser makes by itself (update checks, time sync), not the page.
BROWSER_HOSTS = re.compile(r"^https?://([a-z0-9-]+\.)*(google\.com|googleapis\.com|gstatic\.com|gvt1\.com)(/|:|$)")


def chromium(tmp: Path, name: str, *args: str) -> subprocess.Popen:
    # A real browser is part of this test, not optional: the README's test command installs it.
    assert CHROMIUM, NEEDS_CHROMIUM
    profile = tmp / f"profile-{name}"
    return subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--log-net-log={tmp / f'{name}.netlog.json'}", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def page_requests(netlog: Path, page: Path) -> set[str]:
    """URLs the page made Chromium fetch (besides the page itself and the browser's own traffic)."""
    urls = set(re.findall(r'"url":"([^"]+)"', netlog.read_text(errors="replace")))
    return {u for u in urls if not BROWSER_HOSTS.match(u) and u != page.as_uri()}


def test_report_and_email_render_in_chromium(weekly, tmp_path: Path):
    data = hostile(weekly)
    pages = {"page": tmp_path / "report.html", "email": tmp_path / "email.html"}
    pages["page"].write_text(render_report(data, "html"), encoding="utf-8")
    pages["email"].write_text(render_report(data, "email"), encoding="utf-8")
    shot = tmp_path / "report.png"
    runs = {name: chromium(tmp_path, name, "--dump-dom", path.as_uri()) for name, path in pages.items()}
    runs["shot"] = chromium(tmp_path, "shot", f"--screenshot={shot}", "--window-size=1200,1600", pages["page"].as_uri())
    dumps = {}
    for name, proc in runs.items():
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, name
        dumps[name] = out

    for name in ("page", "email"):
        dom = dumps[name].replace("<wbr>", "")  # break opportunities in long values
        assert "<body" in dom and "Weekly shop funnels" in dom, name
        assert "18–24 Nov 2026" in dom and "1,000" in dom and "550" in dom, name
        assert "1.00×" in dom, name  # the lift table
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom, name  # GA4 text stays text
        assert "<script" not in dom, name  # no script element was created
        assert page_requests(tmp_path / f"{name}.netlog.json", pages[name]) == set(), name  # nothing fetched
        assert not re.search(r"""\s(src|href|srcset|poster|data)=["'](?!#)""", dom), name  # nothing to fetch
        assert "url(" not in dom and "@import" not in dom, name
    assert dumps["page"].count("<svg") == 5 and "<rect" in dumps["page"]
    assert 'style="' in dumps["email"]
    assert shot.stat().st_size > 20_000  # a real rendering, not a blank page
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


#: Added to a copy of a page under test (never to the product): on load, the layout's widths.
LAYOUT_PROBE = """<script>addEventListener("load", () => {
  const page = document.querySelector("table.page");
  document.body.setAttribute("data-layout", JSON.stringify({
    client: document.documentElement.clientWidth,
    scroll: document.documentElement.scrollWidth,
    page: page ? Math.round(page.getBoundingClientRect().width) : null,
  }));
});</script></body>"""
LONG_VALUE = "https://shop.example.com/products/" + "x" * 966  # GA4 keeps page_location this long


def layouts(tmp: Path, pages: dict[str, str], windows: tuple[int, ...]) -> dict[tuple[str, int], dict]:
    """Each page laid out by Chromium in each window width: its client, scroll and e-mail widths."""
    runs = {}
    for name, html in pages.items():
        path = tmp / f"{name}.html"
        path.write_text(html.replace("</body>", LAYOUT_PROBE), encoding="utf-8")
        for width in windows:
            runs[name, width] = chromium(tmp, f"{name}-{width}", f"--window-size={width},900", "--dump-dom", path.as_uri())
    out = {}
    for key, proc in runs.items():
        dom, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, key
        found = re.search(r'data-layout="([^"]+)"', dom)
        assert found, key
        out[key] = json.loads(found.group(1).replace("&quot;", '"'))
    return out


def test_email_and_page_fit_the_window_even_with_a_1000_character_value(weekly, tmp_path: Path):
    """Measured, not guessed: the e-mail was 640 px wide in a 600 px window, and 7,278 px with
    a 1,000-character value; no page may scroll sideways, the e-mail is at most 640 px."""
    from tests.reports.test_hostile_text import with_strings

    long = with_strings(weekly, LONG_VALUE)
    pages = {
        "email": render_report(weekly, "email"),
        "email-long": render_report(long, "email"),
        "page": render_report(weekly, "html"),
        "page-long": render_report(long, "html"),
    }
    measured = layouts(tmp_path, pages, (600, 1200))
    for (name, window), layout in measured.items():
        assert layout["scroll"] <= layout["client"] <= window, (name, window, layout)
        if name.startswith("email"):
            assert layout["page"] == min(640, layout["client"]), (name, window, layout)
