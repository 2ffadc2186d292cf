"""The HTML view in a real headless Chromium (Debian's), driven by Playwright.

Pages are opened from ``file://`` with every non-file request aborted and recorded; the
tests check both languages are shown, entities are coloured, clicking (or Enter on) an
entity highlights every mention of its record in both columns, pointing at a sentence
highlights its partner, the index pages sort and filter, and no script fails. Screenshots
go to a temporary folder; ``VIEW_SCREENSHOT_DIR=output`` writes the README's instead.

Skipped, with the reason, only when Playwright's Python package or a ``chromium``
executable is not installed; never runs ``playwright install`` (it would download a
browser): it launches the system one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

try:
    from test_view import sample_document, write_sample_tei
except ImportError:  # pragma: no cover - imported as a package
    from tests.test_view import sample_document, write_sample_tei

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SEED = "art-000_c32396ffb3fd2beb"  # the article in the screenshot


def _chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright Python package is not installed (pip install playwright)")
    executable = _chromium()
    if executable is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary folder, so that `make test` leaves the tracked screenshots alone; with
    ``VIEW_SCREENSHOT_DIR=output`` the test refreshes the README's."""
    given = os.environ.get("VIEW_SCREENSHOT_DIR")
    path = Path(given) if given else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


class Page:
    """A browser page that records requests, aborts non-file ones, and collects errors."""

    def __init__(self, browser: object) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                           device_scale_factor=1, java_script_enabled=True)
        self.requests: list[str] = []
        self.errors: list[str] = []

        def route(r: object) -> None:
            self.requests.append(r.request.url)
            if r.request.url.startswith("file://"):
                r.continue_()
            else:
                r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url}"))

    def open(self, path: Path, fragment: str = "") -> object:
        self.page.goto(path.resolve().as_uri() + fragment)
        self.page.wait_for_load_state("load")
        return self.page

    def close(self) -> None:
        self.context.close()

    def check_clean(self) -> None:
        assert self.errors == []
        assert self.requests and all(u.startswith("file://") for u in self.requests), \
            self.requests


@pytest.fixture
def page(browser: object) -> Iterator[Page]:
    p = Page(browser)
    yield p
    p.close()


def classes(page: object, selector: str) -> list[list[str]]:
    return page.eval_on_selector_all(selector, "els => els.map(e => Array.from(e.classList))")


def _sel(attr: str, value: str) -> str:
    return f'[{attr}="{value}"]'


# --------------------------------------------------------------------------- sample corpus


@pytest.fixture(scope="module")
def sample_view(tmp_path_factory: pytest.TempPathFactory) -> object:
    from pipeline.view import build_view

    tmp = tmp_path_factory.mktemp("view")
    other = sample_document("art-other", title="Bagdad et Washington", outlet="Autre Journal")
    paths = write_sample_tei(tmp / "tei", [sample_document(), other])
    return build_view(paths, tmp / "out", corpus_title="Sample corpus")


def test_article_both_languages_and_entity_click(sample_view: object, page: Page) -> None:
    pg = page.open(sample_view.articles["art-sample"])
    # both languages, side by side; markup in the text is shown as text
    fr = pg.locator("table.pairs td:nth-child(2) div.s")
    en = pg.locator("table.pairs td:nth-child(3) div.s")
    assert fr.count() == 5 and en.count() == 5
    assert fr.evaluate_all("els => els.map(e => e.lang)") == ["fr"] * 5
    # the sentence carried over untranslated keeps its language
    assert en.evaluate_all("els => els.map(e => e.lang)") == ["en"] * 3 + ["fr", "en"]
    assert fr.nth(0).bounding_box()["x"] < en.nth(0).bounding_box()["x"]  # side by side
    assert fr.nth(1).bounding_box()["y"] == en.nth(1).bounding_box()["y"]
    assert "Washington et Bagdad ont repris le dialogue" in pg.inner_text("table.pairs")
    assert "Washington and Baghdad resumed talks" in pg.inner_text("table.pairs")
    assert "<script>alert('x')</script>" in pg.inner_text("table.pairs")
    assert pg.evaluate("document.scripts.length") == 1
    # entities are coloured by type (the style sheet is applied)
    loc_bg = pg.eval_on_selector('span.ent-LOC', "e => getComputedStyle(e).backgroundColor")
    per_bg = pg.eval_on_selector('span.ent-PER', "e => getComputedStyle(e).backgroundColor")
    assert loc_bg != per_bg and "rgba(0, 0, 0, 0)" not in (loc_bg, per_bg)
    assert pg.locator("ul.legend button").count() == 6

    ref = "art-sample.bagdad"
    assert pg.locator(".hl").count() == 0
    pg.click(f'table.pairs div.s[lang="fr"] span.ent{_sel("data-ref", ref)} >> nth=0')
    highlighted = pg.eval_on_selector_all(
        "span.ent.hl", "els => els.map(e => [e.textContent, e.closest('[lang]').lang,"
        " e.dataset.ref])")
    assert sorted(highlighted) == [["Bagdad", "fr", ref], ["Bagdad", "fr", ref],
                                   ["Baghdad", "en", ref], ["Baghdad", "en", ref]]
    assert all("hl" in c for c in classes(pg, f"button.rec{_sel('data-ref', ref)}"))
    assert "4 mentions" in pg.inner_text("#status")
    hl_bg = pg.eval_on_selector("span.ent.hl", "e => getComputedStyle(e).backgroundColor")
    assert hl_bg != loc_bg  # the highlight is visible, not only a class
    # another record replaces the highlight; clicking it again clears it
    other = "art-sample.irak"
    pg.click(f"span.ent{_sel('data-ref', other)} >> nth=0")
    assert {r for (r,) in pg.eval_on_selector_all(
        ".ent.hl", "els => els.map(e => [e.dataset.ref])")} == {other}
    pg.click(f"span.ent{_sel('data-ref', other)} >> nth=0")
    assert pg.locator(".hl").count() == 0
    # the record list in the sidebar selects the same mentions
    pg.click(f"button.rec{_sel('data-ref', ref)}")
    assert pg.locator("span.ent.hl").count() == 4
    pg.keyboard.press("Escape")
    assert pg.locator(".hl").count() == 0
    page.check_clean()


def test_keyboard_and_sentence_partners(sample_view: object, page: Page) -> None:
    pg = page.open(sample_view.articles["art-sample"])
    fr_id, en_id = "art-sample.fr.p2.s2", "art-sample.en.p2.s2"
    pg.hover(f"div.s{_sel('id', fr_id)}")
    assert "partner" in classes(pg, f"div.s{_sel('id', en_id)}")[0]
    pg.hover(f"div.s{_sel('id', en_id)}")
    assert "partner" in classes(pg, f"div.s{_sel('id', fr_id)}")[0]
    assert "partner" not in classes(pg, f"div.s{_sel('id', en_id)}")[0]
    pg.mouse.move(5, 5)
    assert pg.locator(".partner").count() == 0
    # entities are reached with Tab and selected with Enter; focus also shows the pair
    pg.focus('ul.legend button[data-toggle-type="NUM"]')
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.matches('span.ent[data-ref]')")
    pg.keyboard.press("Enter")
    assert pg.locator("span.ent.hl").count() == 2  # États-Unis / United States
    ref = "art-sample.kadhimi"
    pg.focus(f"span.ent{_sel('data-ref', ref)} >> nth=0")
    assert "partner" in classes(pg, f"div.s{_sel('id', en_id)}")[0]
    pg.keyboard.press("Enter")
    assert pg.locator(f"span.ent.hl{_sel('data-ref', ref)}").count() == 2
    assert pg.eval_on_selector_all("span.ent[data-ref]", "els => els.every(e => e.tabIndex === 0)")
    pg.keyboard.press("Escape")
    assert pg.locator(".hl").count() == 0
    # removed boilerplate is collapsed until opened
    assert not pg.is_visible("details.removed td.cut")
    pg.click("details.removed summary")
    assert pg.is_visible("details.removed td.cut")
    # the legend hides a type's colour
    pg.click('ul.legend button[data-toggle-type="LOC"]')
    assert pg.eval_on_selector(
        "span.ent-LOC", "e => getComputedStyle(e).backgroundColor") == "rgba(0, 0, 0, 0)"
    page.check_clean()


def test_index_sorts_and_filters(sample_view: object, page: Page) -> None:
    pg = page.open(sample_view.index)

    def titles() -> list[str]:
        return pg.eval_on_selector_all(
            "#articles tbody tr:not([hidden]) td:first-child a", "els => els.map(e => e.text)")

    assert titles() == ["Bagdad et Washington", "Les États-Unis retirent des troupes d'Irak"]
    pg.click("#articles thead th:nth-child(1) button")
    assert titles() == ["Bagdad et Washington", "Les États-Unis retirent des troupes d'Irak"]
    pg.click("#articles thead th:nth-child(1) button")
    assert titles() == ["Les États-Unis retirent des troupes d'Irak", "Bagdad et Washington"]
    pg.fill("#filter", "autre journal")
    assert titles() == ["Bagdad et Washington"]
    pg.fill("#filter", "")
    pg.select_option("#outlet-filter", "Exemple Info")
    assert titles() == ["Les États-Unis retirent des troupes d'Irak"]
    assert pg.inner_text("#shown") == "1 of 2 shown"
    # from the index to an article, then the entity index and back with the record selected
    pg.click("#articles tbody tr:not([hidden]) a")
    assert pg.url.endswith("/articles/art-sample.html")
    pg.click("nav.top a[href$='entities.html']")
    pg.wait_for_url("**/entities.html")
    pg.wait_for_load_state("load")  # the filter listens only once the page's script ran
    pg.fill("#filter", "baghdad")
    pg.wait_for_function(
        "document.querySelectorAll('#entities tbody tr:not([hidden])').length === 1",
        timeout=5000)
    pg.click("#entities tbody tr:not([hidden]) a[href*='art-other']")
    assert pg.url.endswith("/articles/art-other.html#ref=art-other.bagdad")
    pg.wait_for_load_state("load")  # the record is selected by the page's script, once run
    selected = f"span.ent.hl{_sel('data-ref', 'art-other.bagdad')}"
    pg.wait_for_function(f"document.querySelectorAll('{selected}').length === 4", timeout=5000)
    assert pg.locator(selected).count() == 4
    page.check_clean()


# --------------------------------------------------------------------------- a real seed


@pytest.fixture(scope="module")
def seed_view(browser: object, tmp_path_factory: pytest.TempPathFactory) -> object:
    """The seeds through the real pipeline (TEI on disk), then the view of that TEI.

    Asks for ``browser`` first so that a missing browser skips before the pipeline runs."""
    from pipeline.engines import apertium
    from pipeline.view import build_view

    if not apertium.is_available():
        pytest.skip("Apertium fr->es->en is not installed: no seed TEI to view")
    tmp = tmp_path_factory.mktemp("seed")
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "1700000000")}
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", str(ROOT / "seeds"), "-o", str(tmp / "out"), "-q",
         "--skip", "validate"], env=env, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    tei = sorted((tmp / "out" / "tei").glob("*.xml"))
    assert len(tei) == len(list((ROOT / "seeds").glob("*.txt")))
    return build_view(tei, tmp / "view", corpus_title="Seeds")


def test_seed_article_screenshot(seed_view: object, page: Page, screenshot_dir: Path) -> None:
    pg = page.open(seed_view.articles[SEED])
    assert pg.locator('table.pairs div.s[lang="fr"]').count() > 5
    assert pg.locator('table.pairs div.s[lang="en"]').count() > 5
    assert "Les États-Unis" in pg.inner_text("table.pairs")
    assert "United States" in pg.inner_text("table.pairs")
    # the record with the most mentions in both languages
    ref = pg.evaluate("""() => {
        const n = {};
        for (const e of document.querySelectorAll('table.pairs span.ent[data-ref]')) {
            const k = e.dataset.ref, l = e.closest('[lang]').lang;
            n[k] = n[k] || {}; n[k][l] = (n[k][l] || 0) + 1;
        }
        return Object.keys(n).filter(k => n[k].fr && n[k].en)
            .sort((a, b) => (n[b].fr + n[b].en) - (n[a].fr + n[a].en) || (a < b ? -1 : 1))[0];
    }""")
    assert ref, "no record has mentions in both languages"
    mentions = pg.locator(f"table.pairs span.ent{_sel('data-ref', ref)}")
    total = mentions.count()
    mentions.first.click()
    langs = pg.eval_on_selector_all("table.pairs span.ent.hl",
                                    "els => els.map(e => e.closest('[lang]').lang)")
    assert len(langs) == total and {"fr", "en"} <= set(langs)
    # point at the first body sentence so the screenshot shows a pair too
    pg.evaluate("document.activeElement.blur()")
    pg.hover("table.pairs tbody.para-p div.s[lang='fr'] >> nth=0")
    assert pg.locator("div.s.partner").count() >= 1
    pg.evaluate("window.scrollTo(0, 0)")
    pg.screenshot(path=str(screenshot_dir / "screenshot-article.png"))
    page.check_clean()
    pg2 = page.open(seed_view.index)
    assert pg2.locator("#articles tbody tr").count() == len(seed_view.articles)
    pg2.screenshot(path=str(screenshot_dir / "screenshot-index.png"))
    page.check_clean()
    assert (screenshot_dir / "screenshot-article.png").stat().st_size > 10_000
