"""Events other domains react to, so My workshops does not import them."""

from blinker import Namespace

_signals = Namespace()

# Sent with the resident, phone_code= and now= when a code for her phone is to be sent.
code_requested = _signals.signal("code-requested")
