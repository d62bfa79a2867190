"""Reading what residents text: keywords in three languages, any case, with or without
accents, extra spaces tolerated."""

import re
import unicodedata
from dataclasses import dataclass

# keyword → (action, language of the keyword; None when it belongs to no one language)
KEYWORDS: dict[str, tuple[str, str | None]] = {
    "ALTA": ("register", "ca"), "APUNTA": ("register", "ca"),
    "INSCRIBIR": ("register", "es"), "APUNTAR": ("register", "es"),
    "JOIN": ("register", "en"),
    "BAIXA": ("cancel", "ca"), "BAJA": ("cancel", "es"), "LEAVE": ("cancel", "en"),
    "TALLERS": ("find", "ca"), "TALLERES": ("find", "es"), "WORKSHOPS": ("find", "en"),
    "MEVES": ("mine", "ca"), "MIS": ("mine", "es"), "MINE": ("mine", "en"),
    "AJUDA": ("help", "ca"), "AYUDA": ("help", "es"), "HELP": ("help", "en"),
    "INFO": ("help", None),
    "NOM": ("name", "ca"), "NOMBRE": ("name", "es"), "NAME": ("name", "en"),
    "BARRI": ("area", "ca"), "BARRIO": ("area", "es"), "AREA": ("area", "en"),
    "STOP": ("stop", None), "START": ("start", None),
}
# A keyword alone means something else: BAIXA / BAJA stop messages, ALTA resumes them.
BARE = {"BAIXA": "stop", "BAJA": "stop", "ALTA": "start"}
CODE = re.compile(r"#?(\d{3,4})")


@dataclass(frozen=True)
class Command:
    action: str
    language: str | None = None
    argument: str = ""


def fold(text: str) -> str:
    """Upper case, accents removed, spaces collapsed: "  àlta   123 " → "ALTA 123"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.upper().split())


def parse(body: str) -> Command:
    words = fold(body or "").split(" ", 1)
    word = words[0].strip(".,;:!¡?¿")
    rest = words[1].strip() if len(words) > 1 else ""
    if word not in KEYWORDS:
        return Command("unknown")
    action, language = KEYWORDS[word]
    if not rest and word in BARE:
        return Command(BARE[word], language)
    if action in ("register", "cancel"):
        match = CODE.fullmatch(rest)
        return Command(action, language, match.group(1) if match else "")
    if action in ("name", "area", "find"):
        # Keep the resident's own spelling for names and places.
        original = " ".join((body or "").split())
        return Command(action, language, original.split(" ", 1)[1] if " " in original else "")
    return Command(action, language)
