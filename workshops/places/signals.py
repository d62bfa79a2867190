"""Events other domains react to, so places do not import them."""

from blinker import Namespace

_signals = Namespace()

# Sent with the venue and now= when a venue's name, address or neighbourhood changes.
venue_changed = _signals.signal("venue-changed")
