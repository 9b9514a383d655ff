"""Record and about pages in Debian's headless Chromium at a phone's width (issue 14, item 3):
nothing wider than the screen, so the page never scrolls sideways; wide tables scroll inside
their own box."""
import os
import shutil
import subprocess
import sys

import pytest

from infratracker.serve.loopback import free_port, wait_until_up

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium); "
                       ".ci/run installs it"),
]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(site_built):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "infratracker.cli", "--root", str(site_built.root), "serve",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ})
    base = f"http://127.0.0.1:{port}"
    if not wait_until_up(base, 20):
        proc.kill()
        raise RuntimeError("the site did not start")
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def phone(server, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium")), executable_path=CHROMIUM, args=FLAGS,
            viewport={"width": 390, "height": 844})
        yield context.new_page()
        context.close()


@pytest.mark.parametrize("path", ["/-/record/projects/instc", "/-/record/sources/seetao-2025-12-16-yiha-summit",
                                  "/-/record/countries/KAZ", "/-/about", "/infratracker/projects"])
def test_pages_fit_a_390_px_screen(phone, server, path):
    phone.goto(server + path)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, (path, width)
    if path.startswith("/-/record/"):
        assert phone.locator("h1").inner_text() != ""
        assert phone.locator("footer").inner_text().count("CC BY 4.0") == 1
