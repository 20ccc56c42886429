"""The WordPress guide's checks in headless Chromium, run by try.sh (which sets everything up).

    check.py THEME first|again SCRATCH_DIR    (WP_URL, CIVIL_URL and POST_URL in the environment)

"first" also does what README tells a WordPress admin to do: activate the plugin and set Civil's
address under Settings > Discussion, in the browser. Third-party cookies are blocked throughout
(as Safari and Firefox do), and WordPress (localhost) and Civil (127.0.0.1) are different sites.
"""

import os
import subprocess
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

theme, phase, scratch = sys.argv[1:4]
WP, CIVIL, POST = os.environ["WP_URL"], os.environ["CIVIL_URL"], os.environ["POST_URL"]
PASSWORD = "a long passphrase for the try"


def browser(javascript=True):
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--no-first-run", "--window-size=1280,1600"):
        options.add_argument(arg)
    prefs = {"profile.cookie_controls_mode": 1, "profile.block_third_party_cookies": True}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService("/usr/bin/chromedriver"))
    driver.set_page_load_timeout(30)
    return driver


def until(driver, what, predicate, timeout=15):
    try:
        return WebDriverWait(driver, timeout).until(lambda d: predicate(d))
    except TimeoutException:
        body = driver.execute_script("return document.body ? document.body.innerText : '';")[:1500]
        raise SystemExit(f"[{theme}] FAILED: {what} (at {driver.current_url}):\n{body}")


def check(condition, what):
    if not condition:
        raise SystemExit(f"[{theme}] FAILED: {what}")
    print(f"[{theme}] ok: {what}")


def css(driver, selector):
    return driver.find_element(By.CSS_SELECTOR, selector)


def fill(driver, selector, text):
    field = until(driver, f"{selector} present", lambda d: d.find_elements(By.CSS_SELECTOR, selector))[0]
    field.clear()
    field.send_keys(text)


def set_up_plugin(driver):
    """What README says a WordPress admin does, through wp-admin."""
    driver.get(WP + "/wp-login.php")
    fill(driver, "#user_login", "admin")
    fill(driver, "#user_pass", "civil-try-password")
    css(driver, "#wp-submit").click()
    until(driver, "signed in to wp-admin", lambda d: "/wp-admin" in d.current_url)
    driver.get(WP + "/wp-admin/plugins.php")
    until(driver, "Civil Comments is listed", lambda d: d.find_elements(By.CSS_SELECTOR, "tr[data-slug='civil-comments']"))
    css(driver, "tr[data-slug='civil-comments'] .activate a").click()
    until(driver, "Civil Comments activated",
          lambda d: d.find_elements(By.CSS_SELECTOR, "tr[data-slug='civil-comments'].active"))
    print(f"[{theme}] ok: plugin activated")
    driver.get(WP + "/wp-admin/options-discussion.php")
    fill(driver, "#civil_comments_address", CIVIL + "/")
    css(driver, "#submit").click()
    until(driver, "settings saved", lambda d: "Settings saved." in d.find_element(By.TAG_NAME, "body").text)
    saved = css(driver, "#civil_comments_address").get_attribute("value")
    check(saved == CIVIL, f"Settings > Discussion > Civil address saved as {saved!r}")


def frame_text(driver, selector):
    return css(driver, selector).text.strip()


def page_source(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


driver = browser()
try:
    if phase == "first":
        set_up_plugin(driver)
        driver.delete_all_cookies()

    # The post, as a reader sees it: the embed's frame holds the discussion.
    driver.get(POST)
    until(driver, "the embed's frame appears", lambda d: d.find_elements(By.CSS_SELECTOR, "#civil-thread iframe"))
    check(not driver.find_elements(By.CSS_SELECTOR, "#commentform, #respond"), "WordPress's own comment form is gone")
    driver.switch_to.frame(css(driver, "#civil-thread iframe"))
    until(driver, "the discussion shows in the frame",
          lambda d: d.find_elements(By.CSS_SELECTOR, "#discussion-heading"))
    before = frame_text(driver, "#discussion-heading")
    check(before.startswith("Discussion ("), f"the discussion shows in the frame ({before})")

    # A reader registers and posts from inside the frame.
    name = "reader" + theme.replace("twentytwenty", "")[:8].replace("-", "")
    css(driver, ".signin-prompt a[href^='/register']").click()
    fill(driver, "#username", name)
    fill(driver, "#email", f"{name}@example.com")
    fill(driver, "#password", PASSWORD)
    css(driver, "section.auth button[type=submit]").click()
    until(driver, "registered, back in the frame signed in",
          lambda d: d.execute_script("return location.pathname === '/embed/frame' && "
                                     "document.body.getAttribute('data-signed-in') === 'true';"))
    text = f"Posted from WordPress with {theme}."
    fill(driver, "#comment-form-body", text)
    css(driver, "#comment-form button[type=submit]").click()
    until(driver, "the comment shows in the frame", lambda d: text in d.find_element(By.CSS_SELECTOR, "ol.thread").text)
    after = frame_text(driver, "#discussion-heading")
    check(after != before, f"a reader registered and posted from the frame ({after})")
    driver.switch_to.default_content()
    height = driver.execute_script("return document.querySelector('#civil-thread iframe').getBoundingClientRect().height;")
    check(height > 300, f"the frame grew with its content ({height:.0f} px)")

    # Without JavaScript: the plugin's <noscript> holds the discussion itself.
    subprocess.run(["php", f"{scratch}/flush.php"], check=True)
    html = page_source(POST)
    noscript = html[html.index("<noscript>"):html.index("</noscript>", html.index("<noscript>"))]
    check(text in noscript and after in noscript, "the <noscript> holds the discussion (server-rendered)")
    check("/embed/discussion?url=" in noscript, "the <noscript> links to Civil's page for the thread")
    plain = browser(javascript=False)
    try:
        plain.get(POST)
        shown = plain.find_element(By.TAG_NAME, "body").text
        check(text in shown, "with JavaScript off the reader sees the comment on the post")
        plain.find_element(By.LINK_TEXT, "Read and join the discussion on Civil").click()
        until(plain, "the <noscript> link leads to Civil's page", lambda d: d.current_url.startswith(CIVIL + "/articles/"))
        heading = plain.find_element(By.TAG_NAME, "h1").text
        check(heading == "Budget & the vote", f"Civil's page for the thread has the post's title ({heading!r})")
        check(plain.find_elements(By.CSS_SELECTOR, f"a[href='{POST}']"), "Civil's page links back to the post")
    finally:
        plain.quit()

    # The post list shows the count.
    driver.get(WP + "/")
    count = f"span[data-civil-count='{POST}']"
    until(driver, "the post list has the count span", lambda d: d.find_elements(By.CSS_SELECTOR, count))
    until(driver, "count.js filled the count", lambda d: d.find_element(By.CSS_SELECTOR, count).text.strip() != "")
    shown = driver.find_element(By.CSS_SELECTOR, count).text.strip()
    check(shown[0].isdigit() and shown[0] != "0", f"the post list shows the count ({shown!r})")

    # Civil stopped: the post still loads, at once, and says the discussion could not be loaded.
    subprocess.run(["sh", f"{scratch}/stop-civil.sh"], check=True)
    time.sleep(0.5)
    started = time.monotonic()
    driver.get(POST)
    took = time.monotonic() - started
    check("The council voted on the budget." in driver.find_element(By.TAG_NAME, "body").text,
          f"with Civil stopped the post loads ({took:.2f} s)")
    until(driver, "the box says the discussion could not be loaded",
          lambda d: "could not be loaded" in d.find_element(By.CSS_SELECTOR, "#civil-thread").text)
    print(f"[{theme}] ok: with Civil stopped the box says: {css(driver, '#civil-thread').text.strip()!r}")
finally:
    driver.quit()
