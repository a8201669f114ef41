"""In a real browser, under the security headers: the API docs render, the period picker still submits,
no page breaks the Content Security Policy, a copied session cookie dies with sign-out, and no other
site can frame our pages."""
import pytest

from tests.web.browsing import open_page, sign_in


def _csp_errors(page):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_api_docs_render_under_the_csp(browser, live_server, world):
    page = open_page(browser, live_server)
    errors = _csp_errors(page)
    response = page.goto(f"{live_server.url}/api/docs")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .opblock-tag", timeout=20000)
    assert page.locator(".opblock").count() > 20
    assert not errors and not page.outside
    page.context.close()


def test_period_picker_submits_without_inline_script(browser, live_server, world):
    page = open_page(browser, live_server)
    errors = _csp_errors(page)
    sign_in(page, live_server, "manager")
    options = page.locator("#period-select option").all()
    assert len(options) > 1
    value = options[-1].get_attribute("value")
    page.select_option("#period-select", value)
    page.wait_for_url(f"**period={value}*")
    assert not errors
    page.context.close()


def test_a_copied_cookie_dies_with_sign_out(browser, live_server, world):
    page = open_page(browser, live_server)
    sign_in(page, live_server, "manager")
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    other = open_page(browser, live_server)
    other.context.add_cookies([{k: cookie[k] for k in ("name", "value", "domain", "path")}])
    assert other.goto(f"{live_server.url}/dashboard").url.endswith("/dashboard")
    page.locator("form[action$='/logout'] button").first.click()
    page.wait_for_url("**/login*")
    other.goto(f"{live_server.url}/dashboard")
    assert "/login" in other.url
    page.context.close()
    other.context.close()


def test_other_sites_cannot_frame_our_pages(browser, live_server, world):
    page = open_page(browser, live_server)
    page.set_content(f'<iframe id="f" src="{live_server.url}/login"></iframe>')
    page.wait_for_timeout(1000)
    frame = page.frame_locator("#f")
    assert frame.locator("input[name=username]").count() == 0
    page.context.close()
