"""Helpers for the phone tests: a zh phone context at a household, sign-in, visible English words."""
import re

from .conftest import PHONE, wait_js

#: words that may stay Latin in the Chinese app: the language switch, the engine's logo, units and codes
ALLOWED = {"English", "ODK", "KB", "GPS"}
CODE = re.compile(r"^([A-Z]{2}\d{2}-\d{3}|v\d+(\.\d+)*)$")  # household codes, the engine's version

VISIBLE_TEXT = """() => {
  const out = []
  const visible = (el) => {
    if (!el) return false
    const style = getComputedStyle(el)
    if (style.visibility === 'hidden' || style.display === 'none' || Number(style.opacity) === 0) return false
    return el.getClientRects().length > 0
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.nodeValue.trim()
    if (!text || !visible(n.parentElement) || n.parentElement.closest('script,style,template')) continue
    out.push(text)
  }
  for (const el of document.querySelectorAll('input[placeholder],textarea[placeholder],button[aria-label]')) {
    if (visible(el)) out.push(el.getAttribute('placeholder') || el.getAttribute('aria-label'))
  }
  return out
}"""


def english_words(page, *names) -> list[str]:
    """Visible Latin words (two letters or more) that are not codes, allowed words or the given names
    (the signed-in username)."""
    found = []
    for text in page.evaluate(VISIBLE_TEXT):
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_.-]*[A-Za-z0-9]", text):
            if word in ALLOWED or word in names or CODE.match(word):
                continue
            found.append(f"{word} ({text[:60]})")
    return found


def open_phone(chromium, live_server, household, offline_ready=True):
    context = chromium.new_context(
        **PHONE, base_url=live_server, locale="zh-CN", permissions=["geolocation"],
        user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126 Mobile Safari/537.36",
        geolocation={"latitude": household.lat + 0.00002, "longitude": household.lon, "accuracy": 5})
    context.set_default_timeout(30000)
    return context


def sign_in(page, username):
    page.goto("/app/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "secret-pass")
    page.click("form[data-testid=signin] button[type=submit]")
    page.wait_for_selector("a.household")
    # the service worker controls the page and has precached the shell: safe to lose the network
    wait_js(page, "document.documentElement.dataset.offlineReady === '1'")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        # activated, but its clients.claim() lost a race with this page's navigation (seen in CI):
        # the next load is controlled, as it is for a cadre who opens the app again
        page.reload()
        page.wait_for_selector("a.household")
    wait_js(page, "!!navigator.serviceWorker.controller")



def open_visit(page, household):
    page.goto(f"/app/#/h/{household.id}")
    page.click("[data-testid=fill-visit]")
    page.wait_for_selector(".form-initialization-status.ready", state="attached")
    page.wait_for_selector(".question-container")


def capture_location(page):
    page.get_by_role("button", name="获取位置").click()
    page.get_by_role("button", name="保存位置").click()
    page.wait_for_selector(".geopoint-value-container, .geolocation-formatted-value")
