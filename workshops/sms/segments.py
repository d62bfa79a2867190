"""How many SMS segments a text costs: GSM-7 when every character allows it, else UCS-2.

One accented letter outside GSM-7 (Catalan á, í, ó, ú, ç, ·) turns the whole message into
UCS-2, with 70 characters in a single segment and 67 per segment after that.
"""

# GSM 03.38 basic character set, and the extension table (each costs two septets).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")
MAX_SEGMENTS = 2


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


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
    a GSM-7 text, so the cut itself does not switch the message to UCS-2, else in "…"."""
    values = {k: str(v) for k, v in values.items()}
    text = template % values
    ellipsis = "..." if is_gsm7(text) else "…"
    candidates = [k for k in shrink if k in values]
    while segments(text) > max_segments and candidates:
        longest = max(candidates, key=lambda k: len(values[k]))
        value = values[longest]
        if len(value) <= min_length + len(ellipsis):
            candidates.remove(longest)
            continue
        keep = max(min_length, len(value) - len(ellipsis) - 6)
        values[longest] = value[:keep].rstrip() + ellipsis
        text = template % values
    return text
