"""Reading what residents text: keywords in each language (workshops.keywords), any case, with
or without accents, extra spaces tolerated, numbers in any script's digits."""

import re
import unicodedata
from dataclasses import dataclass

from workshops.keywords import actions_by_word

# keyword → (action, language of the keyword; None when it belongs to no one language)
ACTIONS_BY_WORD = actions_by_word()
# A keyword alone means something else: BAIXA / BAJA stop messages, ALTA resumes them.
BARE = {"BAIXA": "stop", "BAJA": "stop", "ALTA": "start"}
CODE = re.compile(r"#?([0-9]{3,4})")
# A whole message that answers the follow-up question: its number, or its words.
ANSWER_NUMBERS = ("1", "2", "3")
ANSWER_ACTIONS = {"answer-yes": "1", "answer-partly": "2", "answer-not-yet": "3"}


@dataclass(frozen=True)
class Command:
    action: str
    language: str | None = None
    argument: str = ""


def fold(text: str) -> str:
    """Upper case, accents and invisible marks removed, digits in ASCII, spaces collapsed:
    "  àlta   ١٢٣ " → "ALTA 123".

    NFKD turns full-width and superscript digits into ASCII ones; other scripts' decimal
    digits (Arabic-Indic, Devanagari…) are mapped by their value. Bidirectional marks, which
    phones insert around digits in right-to-left text, are format characters (Cf): dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(_ascii_digit(c) for c in decomposed
                    if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    return " ".join(plain.upper().split())


def _ascii_digit(char: str) -> str:
    value = unicodedata.decimal(char, None)
    return char if value is None else str(value)


def _visible(text: str) -> str:
    """Spaces collapsed and control characters dropped: names and places are echoed in
    replies, and TwiML (XML) cannot carry most control characters."""
    kept = "".join(c for c in text if c.isspace() or (
        unicodedata.category(c) not in ("Cc", "Cs") and c not in "\ufffe\uffff"))
    return " ".join(kept.split())


def parse(body: str) -> Command:
    whole = fold(body or "").strip(".,;:!¡?¿ ")
    if whole in ANSWER_NUMBERS:
        return Command("answer", None, whole)
    if ACTIONS_BY_WORD.get(whole, ("",))[0] in ANSWER_ACTIONS:
        return Command("answer", None, ANSWER_ACTIONS[ACTIONS_BY_WORD[whole][0]])
    words = fold(body or "").split(" ", 1)
    word = words[0].strip(".,;:!¡?¿")
    rest = words[1].strip() if len(words) > 1 else ""
    if word not in ACTIONS_BY_WORD:
        return Command("unknown")
    action, language = ACTIONS_BY_WORD[word]
    if not rest and word in BARE:
        return Command(BARE[word], language)
    if action in ANSWER_ACTIONS:
        return Command("unknown")  # words of an answer with more after them
    if action in ("register", "cancel", "certificate"):
        match = CODE.fullmatch(rest)
        return Command(action, language, match.group(1) if match else "")
    if action in ("name", "area", "find"):
        # Keep the resident's own spelling for names and places.
        original = _visible(body or "")
        return Command(action, language, original.split(" ", 1)[1] if " " in original else "")
    return Command(action, language)
