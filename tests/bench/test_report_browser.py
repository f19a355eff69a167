"""The HTML report in headless Chromium: no JavaScript error, no blocked request, every chart drawn."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from test_aggregate import write_store
from test_report import ERROR, PROFILE, shop_rows

from longtail.bench.report import write_outputs

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
BROWSER_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
)
# drawn SVG content: what the script adds for data (class "mark") or axes/text
COUNT_MARKS = """
return Array.from(document.querySelectorAll('.plot')).map(function (plot) {
  var svg = plot.querySelector('svg');
  return {id: plot.id, svg: !!svg, marks: svg ? svg.querySelectorAll('.mark').length : 0,
          shapes: svg ? svg.querySelectorAll('rect, circle, polyline, line, path, text').length : 0,
          width: svg ? svg.getBoundingClientRect().width : 0};
});
"""

if not CHROMIUM.exists():
    print(f"skipping the browser tests: {CHROMIUM} is absent (apt-get install -y chromium chromium-driver)")
    pytestmark = pytest.mark.skip(reason=f"{CHROMIUM} is absent; apt-get install -y chromium chromium-driver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*BROWSER_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(str(CHROMEDRIVER)) if CHROMEDRIVER.exists() else Service()
    driver = webdriver.Chrome(service=service, options=options)
    yield driver
    driver.quit()


def load(driver, page: Path) -> list[dict]:
    """Open a page from disk; the console entries it logged at level SEVERE."""
    driver.get(page.resolve().as_uri())
    driver.execute_script("return document.readyState")
    return [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


@pytest.fixture(scope="module")
def report_page(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("browser") / "run"
    rows = pl.concat([shop_rows("shop"), shop_rows("<b>other</b> & co")])
    write_store(folder, rows, profiles={"shop": PROFILE}, errors=[ERROR])
    return write_outputs(folder)["report"]


@pytest.mark.slow
def test_report_renders_without_errors_and_every_chart_is_drawn(browser, report_page):
    severe = load(browser, report_page)
    assert severe == [], severe
    plots = browser.execute_script(COUNT_MARKS)
    expected = len(re.findall(r'class="plot"', report_page.read_text(encoding="utf-8")))
    assert len(plots) == expected >= 7  # profile bars + 2 datasets x (pareto, lorenz, group bars)
    for plot in plots:
        assert plot["svg"] and plot["marks"] > 0 and plot["shapes"] > plot["marks"] and plot["width"] > 100, plot
    # names reach the page as text, never as markup
    injected = "return Array.from(document.querySelectorAll('b')).filter(b => b.textContent === 'other').length"
    assert browser.execute_script(injected) == 0
    assert "<b>other</b> & co" in browser.find_element("tag name", "body").text


@pytest.mark.slow
def test_a_broken_chart_is_caught(browser, report_page, tmp_path):
    """The check above can fail: a chart the script cannot draw shows up as a SEVERE console entry."""
    page = report_page.read_text(encoding="utf-8").replace('"type":"pareto"', '"type":"radar"', 1)
    broken = tmp_path / "broken.html"
    broken.write_text(page, encoding="utf-8")
    severe = load(browser, broken)
    assert any("unknown chart type radar" in entry["message"] for entry in severe), severe
