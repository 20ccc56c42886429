"""README's Ghost guide checked in headless Chromium; run by try.sh, which sets everything up.

    check.py SCRATCH_DIR THEME    (GHOST_URL, CIVIL_URL and POST_URL in the environment)

Third-party cookies are blocked, and Ghost (localhost) and Civil (127.0.0.1) are different sites.
"""

import os
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

scratch, theme = sys.argv[1:3]
GHOST, CIVIL, POST = os.environ["GHOST_URL"], os.environ["CIVIL_URL"], os.environ["POST_URL"]


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
        raise SystemExit(f"[ghost {theme}] FAILED: {what} (at {driver.current_url}):\n{body}")


def check(condition, what):
    if not condition:
        raise SystemExit(f"[ghost {theme}] FAILED: {what}")
    print(f"[ghost {theme}] ok: {what}")


def css(driver, selector):
    return driver.find_element(By.CSS_SELECTOR, selector)


def fill(driver, selector, text):
    field = until(driver, f"{selector} present", lambda d: d.find_elements(By.CSS_SELECTOR, selector))[0]
    field.clear()
    field.send_keys(text)


driver = browser()
try:
    driver.get(POST)
    until(driver, "the embed's frame appears", lambda d: d.find_elements(By.CSS_SELECTOR, "#civil-thread iframe"))
    check(driver.execute_script("return !!document.querySelector('article #civil-thread');"),
          "the snippet put the discussion inside the post's <article>")
    driver.switch_to.frame(css(driver, "#civil-thread iframe"))
    until(driver, "the discussion shows in the frame", lambda d: d.find_elements(By.CSS_SELECTOR, "#discussion-heading"))
    before = css(driver, "#discussion-heading").text
    check(before.startswith("Discussion ("), f"the discussion shows in the frame ({before})")

    css(driver, ".signin-prompt a[href^='/register']").click()
    fill(driver, "#username", "reader" + theme)
    fill(driver, "#email", f"reader{theme}@example.com")
    fill(driver, "#password", "a long passphrase for the try")
    css(driver, "section.auth button[type=submit]").click()
    until(driver, "registered, back in the frame signed in",
          lambda d: d.execute_script("return location.pathname === '/embed/frame' && "
                                     "document.body.getAttribute('data-signed-in') === 'true';"))
    text = f"Posted from Ghost with {theme}."
    fill(driver, "#comment-form-body", text)
    css(driver, "#comment-form button[type=submit]").click()
    until(driver, "the comment shows in the frame", lambda d: text in d.find_element(By.CSS_SELECTOR, "ol.thread").text)
    after = css(driver, "#discussion-heading").text
    check(after != before, f"a reader registered and posted from the frame ({after})")
    driver.switch_to.default_content()

    # Without JavaScript: the <noscript> link from post.hbs leads to Civil's page for the thread.
    plain = browser(javascript=False)
    try:
        plain.get(POST)
        links = plain.find_elements(By.LINK_TEXT, "Read and join the discussion")
        if not links:
            source = plain.page_source
            at = source.find("noscript")
            print(source[at - 300:at + 600] if at >= 0 else "no noscript in the page")
        check(links, "with JavaScript off the post shows the <noscript> link")
        links[0].click()
        until(plain, "the link leads to Civil's page", lambda d: d.current_url.startswith(CIVIL + "/articles/"))
        shown = plain.find_element(By.TAG_NAME, "body").text
        check(text in shown, f"Civil's page for the thread holds the comment ({plain.find_element(By.TAG_NAME, 'h1').text!r})")
        check(plain.find_elements(By.CSS_SELECTOR, f"a[href='{POST}']"), "Civil's page links back to the post")
    finally:
        plain.quit()

    # The home page's post cards get their counts.
    driver.get(GHOST + "/")
    count = f"span[data-civil-count='{POST}']"
    until(driver, "the post card has a count span", lambda d: d.find_elements(By.CSS_SELECTOR, count))
    until(driver, "count.js filled the count", lambda d: d.find_element(By.CSS_SELECTOR, count).text.strip() != "")
    shown = css(driver, count).text.strip()
    check(shown[0].isdigit() and shown[0] != "0", f"the post list shows the count ({shown!r})")

    subprocess.run(["sh", f"{scratch}/stop-civil.sh"], check=True)
    time.sleep(0.5)
    started = time.monotonic()
    driver.get(POST)
    took = time.monotonic() - started
    check("The council voted on the budget." in driver.find_element(By.TAG_NAME, "body").text,
          f"with Civil stopped the post loads ({took:.2f} s)")
    until(driver, "the box says the discussion could not be loaded",
          lambda d: "could not be loaded" in d.find_element(By.CSS_SELECTOR, "#civil-thread").text)
    print(f"[ghost {theme}] ok: with Civil stopped the box says the discussion could not be loaded")
finally:
    driver.quit()
