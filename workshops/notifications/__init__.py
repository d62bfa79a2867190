"""Notifications: the outbox, the worker that renders and sends it, the message texts, and
the transport interface the worker sends through (SMS via Twilio is the first: see
workshops.sms.senders).

Dependencies run one way: notifications imports registrations, the catalogue and My
workshops; none of them imports notifications. They send signals (their signals.py
modules) that notifications.services turns into `notify(...)` calls, and erasure sends
one that makes it forget a person. The SMS domain sits above: its inbound conversation,
Twilio transport and worker command import notifications, never the reverse.
"""
