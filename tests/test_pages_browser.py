"""Record and about pages in Debian's headless Chromium at a phone's width (issue 14, item 3):
nothing wider than the screen, so the page never scrolls sideways; wide tables scroll inside
their own box."""

import pytest
from support import BROWSER_MARKS, chromium, serving


pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def server(site_built):
    with serving(site_built) as base:
        yield base


@pytest.fixture(scope="module")
def phone(server, tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium"), 390, 844) as context:
        yield context.new_page()


@pytest.mark.parametrize("path", ["/-/record/projects/instc", "/-/record/sources/seetao-2025-12-16-yiha-summit",
                                  "/-/record/countries/KAZ", "/-/about", "/infratracker/projects"])
def test_pages_fit_a_390_px_screen(phone, server, path):
    phone.goto(server + path)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, (path, width)
    if path.startswith("/-/record/"):
        assert phone.locator("h1").inner_text() != ""
        assert phone.locator("footer").inner_text().count("CC BY 4.0") == 1
