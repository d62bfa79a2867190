"""How many SMS segments a text costs: GSM-7 when every character allows it, else UCS-2.

One accented letter outside GSM-7 (Catalan á, í, ó, ú, ç, ·) turns the whole message into
UCS-2, with 70 characters in a single segment and 67 per segment after that.
"""

import unicodedata

# GSM 03.38 basic character set, and the extension table (each costs two septets).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")
# Look-alikes for characters GSM-7 lacks where dropping an accent is not enough.
GSM7_LOOKALIKES = str.maketrans({
    "·": ".", "‘": "'", "’": "'", "‚": ",", "“": '"', "”": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "…": "...", "\t": " ",
})
MAX_SEGMENTS = 2


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def to_gsm7(text: str) -> str:
    """`text` in GSM-7: accents GSM-7 lacks dropped (í → i, ç → c), punctuation replaced by a
    look-alike (l·l → l.l, – → -), any other character by "?" as handsets show it."""
    kept = []
    for char in text.translate(GSM7_LOOKALIKES):
        if char not in GSM7_BASIC and char not in GSM7_EXTENSION:
            char = "".join(c for c in unicodedata.normalize("NFKD", char)
                           if not unicodedata.combining(c))
            if not char or not is_gsm7(char):
                char = "?"
        kept.append(char)
    return "".join(kept)


def segments(text: str) -> int:
    if is_gsm7(text):
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, multi = 160, 153
    else:
        # UTF-16 code units: characters outside the BMP (emoji) count twice.
        units = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if units <= single:
        return 1
    return -(-units // multi)


def fit(template: str, *, shrink: tuple[str, ...], max_segments: int = MAX_SEGMENTS,
        min_length: int = 8, **values) -> str:
    """Format `template`, shortening the longest of the `shrink` values until the text fits
    in `max_segments` (links and codes are never shortened). A cut value ends in "..." in
    a GSM-7 text, so the cut itself does not switch the message to UCS-2, else in "…".

    Accents go before words: an accented (UCS-2) text that must be cut to fit is sent in
    GSM-7 instead (see to_gsm7: 153 characters a segment, not 67) when that cuts less. A
    link to a long PUBLIC_BASE_URL leaves an accented text almost no room."""
    values = {k: str(v) for k, v in values.items()}
    text, cut = _shortened(template, values, shrink, max_segments, min_length)
    fits = segments(text) <= max_segments
    if is_gsm7(text) or (fits and cut == 0):
        return text
    plain, plain_cut = _shortened(to_gsm7(template), {k: to_gsm7(v) for k, v in values.items()},
                                  shrink, max_segments, min_length)
    return plain if not fits or plain_cut < cut else text


def _shortened(template: str, values: dict[str, str], shrink: tuple[str, ...],
               max_segments: int, min_length: int) -> tuple[str, int]:
    """The text with the values cut until it fits (or none can be cut more), and how many
    characters were cut."""
    values = dict(values)
    text = template % values
    ellipsis = "..." if is_gsm7(text) else "…"
    candidates = [k for k in shrink if k in values]
    cut = 0
    while segments(text) > max_segments and candidates:
        longest = max(candidates, key=lambda k: len(values[k]))
        value = values[longest]
        if len(value) <= min_length + len(ellipsis):
            candidates.remove(longest)
            continue
        keep = max(min_length, len(value) - len(ellipsis) - 6)
        values[longest] = value[:keep].rstrip() + ellipsis
        cut += len(value) - keep
        text = template % values
    return text, cut
