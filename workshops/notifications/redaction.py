"""What the SMS log may show of a message: no phone number, no key to anyone's registration.

Texts carry residents' manage links (/r/<token>: whoever holds one can cancel the place),
and Twilio's error messages and residents' own texts can hold phone numbers. The log shows
every number as its last three digits and every link without the part after its first
path segment, so it can still be read ("the confirmation went out with the link") without
handing out anyone's number or key. Texts are stored with their links already cut
(`without_link_tokens`): only the resident's phone ever holds the token.
"""

import re

from workshops.registrations.phones import masked_phone

# Seven or more digits, perhaps after a "+" and with single spaces, dots or dashes between.
_PHONE = re.compile(r"\+?\d(?:[ .\-]?\d){6,}")
# A web address: the host, then what follows it up to the next space.
_URL = re.compile(r"(?P<base>\bhttps?://[^\s/?#]+)(?P<rest>[/?#]\S*)?", re.IGNORECASE)
_TRAILING = ".,;:!?)'\""
HIDDEN = "…"


def _without_token(match: re.Match) -> str:
    base, rest = match.group("base"), match.group("rest") or ""
    kept_end = rest.rstrip(_TRAILING)
    rest, trailing = kept_end, rest[len(kept_end):]
    if rest in ("", "/"):
        return base + rest + trailing
    segments = rest.split("/")  # "/r/AbC" → ["", "r", "AbC"]
    if rest.startswith("/") and len(segments) > 2 and segments[1]:
        return f"{base}/{segments[1]}/{HIDDEN}{trailing}"
    return f"{base}/{HIDDEN}{trailing}"


def _masked_phones(text: str) -> str:
    return _PHONE.sub(lambda match: masked_phone(match.group(0)), text)


def without_link_tokens(text: str | None) -> str:
    """`text` with every link cut after its first path segment, phone numbers untouched:
    how a text that carried a personal link is stored (the log masks numbers when it shows
    them). The cut link opens nothing, so a copy of the database holds no working key."""
    return _URL.sub(_without_token, text or "")


def redacted(text: str | None) -> str:
    """`text` with links cut after their first path segment and phone numbers masked:
    "… http://x.cat/r/AbC12 …" → "… http://x.cat/r/… …", "+34612345678" → "••• ••• 678"."""
    text = text or ""
    parts, start = [], 0
    for match in _URL.finditer(text):
        parts += [_masked_phones(text[start:match.start()]), _without_token(match)]
        start = match.end()
    parts.append(_masked_phones(text[start:]))
    return "".join(parts)
