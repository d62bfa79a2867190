"""Indexes the reach figures need, declared here so the tables' own models stay as they are.

- attendance (registration_id, present): a registration's marks are counted from the index
  alone, without reading the rows.
- workshop (first_session_starts_at): the period selects workshops by when they began, and
  "first time" looks for earlier workshops.
"""

from sqlalchemy import Index

from workshops.attendance.models import Attendance
from workshops.catalogue.models import Workshop

attendance_by_registration = Index("ix_attendance_registration_present",
                                   Attendance.registration_id, Attendance.present)
workshops_by_start = Index("ix_workshop_first_session_starts_at",
                           Workshop.first_session_starts_at)
