"""Events notifications reacts to, so outcomes does not import it. Each is sent inside the
transaction that makes the change."""

from blinker import Namespace

_signals = Namespace()

# Sent with the follow-up and now= when its question is to be texted.
question_due = _signals.signal("follow-up-question-due")

# Sent with the follow-up and now= when its unanswered question is to be texted once more.
question_chased = _signals.signal("follow-up-question-chased")
