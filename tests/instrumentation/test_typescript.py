"""The generated TypeScript with the real compiler and in a real browser.

- ``tsc`` (pinned, from the npm registry: tests/instrumentation/typescript_tools.py) compiles
  the module of every ``--send``, for a plan built here and for configs/shop.yaml, and of a plan
  of hostile names and texts, with the strictest settings, without a single diagnostic;
- a file calling the functions with wrong arguments (ts/wrong.ts) is rejected, with an error on
  each line marked WRONG and nowhere else: the types are the point;
- headless Chromium runs the compiled module on a page with gtag.js's stub (and once with no
  gtag at all), calls every function (ts/page.ts), and the dataLayer it records is the recorded
  one (recorded_datalayer.json; ``UPDATE_CASES=1`` rewrites it, review the diff); every payload
  recorded validates against the generated JSON Schema of its event, and the Measurement
  Protocol bodies against the generated request schema.
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from ga_goals.instrumentation import generated_files, write
from ga_goals.model.event_schemas import EventSchema, ParameterSpec
from ga_goals.model.tracking_plan import TrackingPlan
from ga_goals.plan_file import load_plan
from tests.conftest import CONFIGS, updating_goldens, write_golden
from tests.instrumentation.plans import HOSTILE, shop_plan
from tests.instrumentation.typescript_tools import PINNED, TSC, errors, tsc
from tests.reports.test_chromium import chromium

HERE = Path(__file__).parent
RECORDED = HERE / "recorded_datalayer.json"

#: The page: gtag.js's snippet (its stub, never gtag.js itself) unless ``nostub``, the compiled
#: module through page.js, then the recording of what was pushed.
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>generated instrumentation</title>
{stub}<script type="module" src="page.js"></script>
<script type="module">
  const plain = (entry) => (Object.prototype.toString.call(entry) === "[object Arguments]" ? Array.from(entry) : entry);
  document.getElementById("recorded").textContent = JSON.stringify({{
    dataLayer: (window.dataLayer || []).map(plain),
    measurementProtocol: window.measurementProtocol,
  }});
</script></head><body><pre id="recorded"></pre></body></html>
"""
STUB = '<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}</script>\n'
#: Page name -> (--send, with gtag's stub).
PAGES = {"gtag": ("gtag", True), "gtag-without-stub": ("gtag", False), "datalayer": ("datalayer", False), "ecommerce": ("ecommerce", False)}


def hostile_plan() -> TrackingPlan:
    """Names and texts that could break generated code if any escaping were missing."""
    quoted = ParameterSpec("data-id", values=('say "hi" */', "back`tick", "${x}", "\u2028"), description=HOSTILE)
    schemas = [
        EventSchema("add_to_cart", (ParameterSpec("value", "number", required=True),), description=HOSTILE),
        EventSchema("AddToCart", (ParameterSpec("value", "number"),)),  # same identifier base as add_to_cart
        EventSchema("café_visité", (quoted, ParameterSpec("n", "integer", values=(1, 2)))),
        EventSchema("delete", (ParameterSpec("class", required=True, pattern="a*/b`${c}"),)),
        EventSchema("open_event", (), closed=False),
        EventSchema("2fa_enabled", (ParameterSpec("constructor", "boolean"),)),
        EventSchema("promo", (ParameterSpec("promotions", "items", items=(ParameterSpec("id", required=True),
                                                                           ParameterSpec("nested", "items"))),
                              ParameterSpec("items", "items"))),
    ]
    return TrackingPlan(source="/tmp/*/ plan`s.yaml", property="sandbox", event_schemas={s.event_name: s for s in schemas})


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1 (ES modules do not load from file: URLs)."""
    root = tmp_path / "site"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_installed_compiler_is_the_pinned_one():
    import subprocess

    assert TSC.exists()
    version = subprocess.run([str(TSC), "--version"], capture_output=True, text=True, timeout=60).stdout
    assert version.strip() == f"Version {PINNED}"


def test_every_module_compiles_with_the_strictest_settings_and_wrong_calls_do_not(tmp_path: Path):
    sources = []
    for send in ("gtag", "datalayer", "ecommerce"):
        write(generated_files(shop_plan(), send=send), tmp_path / send)
        sources.append(f"{send}/ga4-events.ts")
    shop = load_plan(CONFIGS / "shop.yaml")
    for send in ("gtag", "datalayer", "ecommerce"):
        write(generated_files(shop, send=send), tmp_path / f"shop-{send}")
        sources.append(f"shop-{send}/ga4-events.ts")
    write(generated_files(hostile_plan(), send="datalayer"), tmp_path / "hostile")
    write(generated_files(TrackingPlan(source="empty.yaml", property="sandbox")), tmp_path / "empty")
    sources += ["hostile/ga4-events.ts", "empty/ga4-events.ts"]
    wrong = tmp_path / "gtag" / "wrong.ts"
    wrong.write_text((HERE / "ts" / "wrong.ts").read_text())

    compiled = tsc(tmp_path, *sources)
    assert (compiled.returncode, errors(compiled), compiled.stdout) == (0, [], "")

    rejected = tsc(tmp_path, "gtag/wrong.ts")
    assert rejected.returncode != 0
    marked = {n for n, line in enumerate(wrong.read_text().splitlines(), 1) if "// WRONG" in line}
    found = {int(e["line"]) for e in errors(rejected)}
    assert {e["file"] for e in errors(rejected)} == {"gtag/wrong.ts"}
    assert found == marked, f"rejected lines {sorted(found)}, marked {sorted(marked)}"


def test_hostile_text_stays_in_comments_and_strings():
    module = next(f.text for f in generated_files(hostile_plan()) if f.path.suffix == ".ts")
    assert "export function trackAddToCart(" in module and "export function trackAddToCart_2(" in module
    assert "export function trackCaf_e9Visit_e9(" in module
    assert "export function track_2faEnabled(" in module
    assert "promotions?: ReadonlyArray<Promo_PromotionsItem>;" in module and "items?: ReadonlyArray<PromoItem>;" in module
    assert '"data-id"?: "say \\"hi\\" */" | "back`tick" | "${x}" | "\\u2028";' in module
    # outside string literals, no comment ends early: every */ closes a comment opened on its own
    code = re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', module)
    assert code.count("/*") == code.count("*/")
    for opened in re.finditer(r"/\*", code):
        assert "/*" not in code[opened.end() : code.index("*/", opened.end())]


def record(served: tuple[Path, str], tmp_path: Path) -> dict[str, dict]:
    """Compile each page's module and page.ts, open every page in Chromium, and return what
    each recorded."""
    root, base = served
    sources = []
    for name, (send, _) in PAGES.items():
        write(generated_files(shop_plan(), send=send), root / "src" / name)
        (root / "src" / name / "page.ts").write_text((HERE / "ts" / "page.ts").read_text())
        sources += [f"src/{name}/ga4-events.ts", f"src/{name}/page.ts"]
    compiled = tsc(root, *sources, out="js")
    assert (compiled.returncode, errors(compiled)) == (0, [])
    runs = {}
    for name, (_, stub) in PAGES.items():
        (root / "js" / "src" / name / "index.html").write_text(PAGE.format(stub=STUB if stub else ""), encoding="utf-8")
        runs[name] = chromium(tmp_path, name, "--dump-dom", f"{base}/js/src/{name}/index.html")
    recorded = {}
    for name, proc in runs.items():
        dom, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, name
        found = re.search(r'<pre id="recorded">(.*?)</pre>', dom, re.S)
        assert found and found.group(1), f"{name}: the page recorded nothing"
        recorded[name] = json.loads(html.unescape(found.group(1)))
    return recorded


def test_the_functions_push_the_recorded_datalayer_in_chromium(served, tmp_path: Path):
    recorded = record(served, tmp_path)
    # gtag's snippet defined by the page or by the module: the same queue
    assert recorded["gtag-without-stub"] == recorded["gtag"]
    bodies = recorded["gtag"]["measurementProtocol"]
    assert all(r["measurementProtocol"] == bodies for r in recorded.values())
    recorded = {
        "dataLayer": {name: recorded[name]["dataLayer"] for name in ("gtag", "datalayer", "ecommerce")},
        "measurementProtocol": bodies,
    }
    text = json.dumps(recorded, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_golden(RECORDED, text)
    assert json.loads(RECORDED.read_text()) == recorded, "UPDATE_CASES=1 rewrites the recording: review its diff"
    assert not updating_goldens() or RECORDED.read_text() == text

    files = {str(f.path): json.loads(f.text) for f in generated_files(shop_plan()) if f.path.suffix == ".json"}
    payloads = []
    for entry in recorded["dataLayer"]["gtag"]:
        assert entry[0] == "event"
        payloads.append((entry[1], entry[2]))
    for entry in recorded["dataLayer"]["datalayer"]:
        params = dict(entry)
        payloads.append((params.pop("event"), params))
    for entry in recorded["dataLayer"]["ecommerce"]:
        if entry == {"ecommerce": None}:
            continue
        params = dict(entry)
        name = params.pop("event")
        payloads.append((name, params.pop("ecommerce") if "ecommerce" in params else params))
    assert len(payloads) == 3 * 7
    for name, params in payloads:
        schema = files[f"schemas/{name}.schema.json"]
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.validate(params, schema, cls=jsonschema.Draft202012Validator)

    mp_schema = files["measurement-protocol.schema.json"]
    assert [len(b["events"]) for b in bodies] == [25, 5]
    for body in bodies:
        jsonschema.validate(body, mp_schema, cls=jsonschema.Draft202012Validator)
