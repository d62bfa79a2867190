"""The resident's journey on a phone, home → results, measured in real Chromium.

    python bench/journey.py http://127.0.0.1:5000 [neighbourhood code, default 53]

At 320 × 640, for each language, with and without JavaScript: how far she scrolls to
reach the "Where do you live?" picker and, once she has chosen, to see the first result
card's title (its top plus 100 px inside the screen); the taps (open the picker, choose,
tap the button) and keystrokes (none by touch; by keyboard, the Tab presses from the top of
the listing to the first result's link); and how tall both pages are.
"""

import sys

from playwright.sync_api import sync_playwright

VIEWPORT = {"width": 320, "height": 640}
CARD_TITLE = 100  # px of the card that must be on screen to read its title
MAX_TABS = 200


def journey(browser, base: str, language: str, javascript: bool, code: str) -> dict:
    context = browser.new_context(viewport=VIEWPORT, locale=language,
                                  java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{base}/?lang={language}")
    picker = page.locator("#home-neighbourhood")
    button = page.locator("form:has(#home-neighbourhood) button[type=submit]")
    scroll_home = max(0, button.bounding_box()["y"] + button.bounding_box()["height"]
                      - VIEWPORT["height"])
    home_height = page.evaluate("document.documentElement.scrollHeight")
    picker.select_option(code)
    button.click()
    page.wait_for_load_state("load")
    card = page.locator(".workshop-card").first.bounding_box()
    scroll_listing = max(0, card["y"] + CARD_TITLE - VIEWPORT["height"])
    listing_height = page.evaluate("document.documentElement.scrollHeight")
    first_link = page.locator(".workshop-card a").first
    tabs = 0
    while tabs < MAX_TABS:
        page.keyboard.press("Tab")
        tabs += 1
        if first_link.evaluate("link => link === document.activeElement"):
            break
    context.close()
    return {"scroll": round(scroll_home + scroll_listing), "taps": 3, "keys (touch)": 0,
            "tabs to 1st result": tabs, "card top": round(card["y"]),
            "home px": home_height, "listing px": listing_height}


def main(base: str, code: str = "53") -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu"])
        print(f"{'lang':<5}{'js':<5}" + "".join(f"{k:>20}" for k in (
            "scroll", "taps", "keys (touch)", "tabs to 1st result", "card top", "home px",
            "listing px")))
        for language in ("ca", "es", "en"):
            for javascript in (False, True):
                row = journey(browser, base, language, javascript, code)
                print(f"{language:<5}{'yes' if javascript else 'no':<5}"
                      + "".join(f"{v:>20}" for v in row.values()))
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
