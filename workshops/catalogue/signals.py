"""Events other domains react to, so the catalogue does not import them."""

from blinker import Namespace

_signals = Namespace()

# Sent with the workshop and now=, inside the transaction that cancels it.
workshop_cancelled = _signals.signal("workshop-cancelled")

# Sent with the workshop and now= when a published workshop's time or venue changes.
schedule_changed = _signals.signal("schedule-changed")
