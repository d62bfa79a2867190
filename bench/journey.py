"""The resident's journey on a phone, measured in real Chromium at 320 × 640.

    python bench/journey.py http://127.0.0.1:5000 [neighbourhood code, default 53]

"Find a workshop in my neighbourhood and sign up", for each language, with and without
JavaScript: from the home page she chooses her neighbourhood, opens the first card that
offers a place (each card that turns out closed is a dead end: a tap there and one back),
types her name and phone, chooses her neighbourhood on the form if it is not filled in, and
signs up. Counted as a person on a phone would:
- taps: every control touched (a drop-down costs two: open it, choose);
- keystrokes: the characters typed;
- scroll: how far she scrolls to bring each control she touches into the screen (the least
  scroll that shows all of it), added up;
- the first card's top on the results page, and how tall the home and results pages are.
A second column set measures a failed sign-up (the phone left empty): how far the first
error message is from the screen when the answer opens, and whether it has focus.
"""

import sys
import uuid

from playwright.sync_api import sync_playwright

VIEWPORT = {"width": 320, "height": 640}
NAME = "Maria Puig"


class Resident:
    def __init__(self, page):
        self.page = page
        self.taps = self.keys = self.scroll = 0

    def bring_into_view(self, locator) -> None:
        box = locator.bounding_box()
        top, bottom = box["y"], box["y"] + box["height"]
        delta = bottom - VIEWPORT["height"] if bottom > VIEWPORT["height"] else min(top, 0)
        if delta:
            self.page.evaluate(f"window.scrollBy(0, {delta})")
            self.scroll += abs(delta)

    def tap(self, locator) -> None:
        self.bring_into_view(locator)
        self.taps += 1
        locator.click()

    def choose(self, select, value: str) -> None:
        self.bring_into_view(select)
        self.taps += 2
        select.select_option(value)

    def type(self, locator, text: str) -> None:
        self.tap(locator)
        locator.fill(text)
        self.keys += len(text)


def open_card_with_a_place(resident: Resident) -> int:
    """Opens cards in order until a workshop page offers the sign-up form; the dead ends."""
    page = resident.page
    for index in range(page.locator(".workshop-card").count()):
        resident.tap(page.locator(".workshop-card").nth(index).locator("a").first)
        page.wait_for_load_state("load")
        if page.locator("form.registration-form").count():
            return index
        resident.taps += 1
        page.go_back()
        page.wait_for_load_state("load")
    raise SystemExit("no workshop in this neighbourhood takes sign-ups")


def journey(browser, base: str, language: str, javascript: bool, code: str) -> dict:
    context = browser.new_context(viewport=VIEWPORT, locale=language,
                                  java_script_enabled=javascript)
    page = context.new_page()
    resident = Resident(page)
    page.goto(f"{base}/?lang={language}")
    home_height = page.evaluate("document.documentElement.scrollHeight")
    picker = page.locator("#home-neighbourhood")
    resident.choose(picker, code)
    resident.tap(page.locator("form:has(#home-neighbourhood) button[type=submit]"))
    page.wait_for_load_state("load")
    card_top = page.locator(".workshop-card").first.bounding_box()["y"]
    listing_height = page.evaluate("document.documentElement.scrollHeight")
    dead_ends = open_card_with_a_place(resident)
    workshop_url = page.url
    form = page.locator("form.registration-form")
    resident.type(form.locator("[name=name]"), NAME)
    phone = "6" + str(uuid.uuid4().int)[:8]
    resident.type(form.locator("[name=phone]"), phone)
    neighbourhood = form.locator("select[name=home_neighbourhood]")
    if not neighbourhood.input_value():
        resident.choose(neighbourhood, code)
    resident.tap(form.locator("button[type=submit]"))
    page.wait_for_load_state("load")
    signed_up = page.locator("form.registration-form").count() == 0
    result = {"taps": resident.taps, "keystrokes": resident.keys,
              "scroll px": round(resident.scroll), "dead ends": dead_ends,
              "1st card top": round(card_top), "home px": home_height,
              "results px": listing_height, "signed up": "yes" if signed_up else "NO"}
    result.update(failed_sign_up(page, workshop_url))
    context.close()
    return result


def failed_sign_up(page, workshop_url: str) -> dict:
    page.goto(workshop_url)
    form = page.locator("form.registration-form")
    form.locator("[name=name]").fill(NAME)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    first_error = page.locator(".error-summary, .error-message, .field-error").first
    box = first_error.bounding_box() if first_error.count() else None
    away = "none" if box is None else round(max(0, box["y"] + min(box["height"], 40)
                                                 - VIEWPORT["height"], -box["y"]))
    focused = page.evaluate(
        "document.activeElement && document.activeElement !== document.body"
        " ? document.activeElement.className || document.activeElement.tagName : 'body'")
    return {"error px away": away, "focus": focused[:14]}


def main(base: str, code: str = "53") -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu"])
        rows = [(language, javascript, journey(browser, base, language, javascript, code))
                for language in ("ca", "es", "en") for javascript in (False, True)]
        browser.close()
    columns = list(rows[0][2])
    print(f"{'lang':<5}{'js':<4}" + "".join(f"{name:>14}" for name in columns))
    for language, javascript, row in rows:
        print(f"{language:<5}{'yes' if javascript else 'no':<4}"
              + "".join(f"{row[name]!s:>14}" for name in columns))


if __name__ == "__main__":
    main(*sys.argv[1:])
