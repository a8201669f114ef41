"""Renders fieldapp/public/icon.svg to the PNG icons of the web app manifest (run from the project root)."""
from pathlib import Path
from playwright.sync_api import sync_playwright
svg = Path("fieldapp/public/icon.svg").read_text()
with sync_playwright() as p:
    b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
    for size in (192, 512):
        page = b.new_page(viewport={"width": size, "height": size})
        page.set_content(f'<html><body style="margin:0">{svg.replace("<svg ", f"<svg width={size} height={size} ", 1)}</body></html>')
        page.screenshot(path=f"fieldapp/public/icon-{size}.png", omit_background=True)
    b.close()
