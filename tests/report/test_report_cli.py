"""``ekyc report`` and ``ekyc simulate``: formats, filters, errors; the HTML page is self-contained and opens
offline in headless Chromium with its plots drawn."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ekyc.cli.app import app
from ekyc.cli.exits import Exit
from ekyc.cli.simulate import Outcomes
from ekyc.ledger.engine import make_engine
from ekyc.ledger.experiments import html, report

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "80", **(env or {})})
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", ["report", "simulate"])
def test_help_fits_80_columns(command: str) -> None:
    code, out, _ = invoke(command, "--help")
    assert code == 0 and max(len(line) for line in out.splitlines()) <= 80, out


def _needs_matplotlib() -> None:
    pytest.importorskip("matplotlib", reason="the report extra is not installed (pip install -e '.[dev]')")


def test_report_formats(simulated: tuple[Path, Outcomes], tmp_path: Path) -> None:
    _needs_matplotlib()
    db = str(simulated[0])
    code, out, _ = invoke("report", "--database", db, "--price", "didit=1.5", "--currency", "USD")
    assert code == 0
    assert "didit" in out and "tencent" in out and "didit vs tencent" in out
    code, out, _ = invoke("report", "--database", db, "--format", "json", env={"EKYC_PRICES": "tencent:0.5"})
    data = json.loads(out)
    assert code == 0 and {p["group"] for p in data["providers"]} == {"didit", "tencent"}
    assert data["providers"][1]["unit_price"] == 0.5 and data["comparisons"][0]["test"].startswith("two-proportion")
    code, out, _ = invoke("report", "--database", db, "--format", "markdown", "--country", "deu")
    assert code == 0 and out.startswith("# Provider comparison") and "countries DEU" in out
    assert "| didit |" in out
    target = tmp_path / "r.html"
    code, out, _ = invoke("report", "--database", db, "--format", "html", "-o", str(target))
    assert code == 0 and target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_report_errors(tmp_path: Path, simulated: tuple[Path, Outcomes]) -> None:
    code, _, err = invoke("report", "--database", str(tmp_path / "none.db"))
    assert code == Exit.ERROR and err.startswith("error: no ledger at")
    code, _, err = invoke("report", "--database", str(simulated[0]), "--since", "yesterday")
    assert code == Exit.USAGE and "--since" in err
    code, _, err = invoke("report", "--database", str(simulated[0]), "--price", "didit")
    assert code == Exit.USAGE and "--price" in err


def test_simulate_then_report(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    code, out, _ = invoke("simulate", "--database", db, "--users", "12", "--split", "didit=1", "--split",
                          "stripe=1", "--mix", "didit:approved=3,timed_out=1", "--delay", "stripe=30", "--seed", "5")
    assert code == 0 and "simulated 12 users" in out
    code, out, _ = invoke("report", "--database", db, "--format", "json")
    data = json.loads(out)
    assert {p["group"] for p in data["providers"]} <= {"didit", "stripe"}
    assert sum(p["users"] for p in data["providers"]) == 12
    assert all("sample too small to conclude" in c["verdict"] for c in data["comparisons"])
    code, _, err = invoke("simulate", "--database", db, "--split", "nobody=1")
    assert code == Exit.USAGE and "nobody" in err
    code, _, err = invoke("simulate", "--database", db, "--mix", "alibaba:poor_capture=1", "--split", "alibaba=1")
    assert code == Exit.USAGE and "cannot play" in err


# -- the HTML page ------------------------------------------------------------------------------------------


def _page(simulated: tuple[Path, Outcomes]) -> str:
    _needs_matplotlib()
    engine = make_engine(simulated[0])
    try:
        return html.render(report(engine, prices={"didit": 1.0, "tencent": 0.8}))
    finally:
        engine.dispose()


def test_html_is_self_contained(simulated: tuple[Path, Outcomes]) -> None:
    page = _page(simulated)
    assert page.count("<svg") == 4 and page.count('class="plot"') == 4
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"<script|<link|<iframe|<img|@import", page, re.I)
    assert not re.search(r"""url\(\s*["']?(?!#)""", page, re.I)  # only the SVGs' own clip paths: url(#id)
    assert "<text" not in page and "@font-face" not in page  # text is drawn as paths: no font is needed


CHROMIUM = os.environ.get("EKYC_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not found (Debian: apt-get install chromium; "
                                            "or set EKYC_CHROMIUM); .ci/run installs it")
def test_chromium_opens_the_report_offline_and_draws_the_plots(simulated: tuple[Path, Outcomes],
                                                               tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    target = tmp_path / "report.html"
    target.write_text(_page(simulated), encoding="utf-8")
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            context = browser.new_context(offline=True)
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.goto(target.as_uri(), wait_until="load")
            drawn: list[dict[str, Any]] = page.evaluate(
                """() => [...document.querySelectorAll('figure.plot svg')].map(s => {
                     const r = s.getBoundingClientRect();
                     return {w: r.width, h: r.height, paths: s.querySelectorAll('path').length};
                   })""")
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            figure = page.locator("figure#approval-over-time").screenshot()
        finally:
            browser.close()
    assert requests == [target.as_uri()]  # the page itself, nothing else
    assert len(drawn) == 4 and all(d["w"] > 200 and d["h"] > 100 and d["paths"] > 20 for d in drawn), drawn
    assert shot.stat().st_size > 20_000 and len(figure) > 5_000
