"""Events other domains react to (notifications, SMS, My workshops), so registrations does
not import them. Each is sent inside the transaction that makes the change."""

from blinker import Namespace

_signals = Namespace()

# Sent with the registration and now= when a place is taken or a waiting-list place is
# given, and the channel does not answer it itself.
registered = _signals.signal("registered")

# Sent with the registration and now= when a freed place goes to the first person waiting.
promoted = _signals.signal("promoted")

# Sent with the registration and now= when someone asks again for the personal link of a
# registration she can get texts about.
manage_link_requested = _signals.signal("manage-link-requested")

# Sent with the resident and now= when she withdraws her consent to texts.
sms_consent_withdrawn = _signals.signal("sms-consent-withdrawn")

# Sent with resident_ids= and phones= (E.164) when residents are erased: everything kept
# about them elsewhere is to be deleted.
residents_erased = _signals.signal("residents-erased")
