"""Indexes the reach figures need, declared here so the tables' own models stay as they are.

- attendance (registration_id, present): a registration's marks are counted from the index
  alone, without reading the rows.
- workshop (first_session_starts_at): the period selects workshops by when they began, and
  "first time" looks for earlier workshops.
- workshop_session (workshop_id, ends_at): the sessions held by each workshop, counted
  from the index alone (`queries._scope`).
- reach_fact (workshop_id) and (ends_at): the kept rows of the few workshops not over yet
  (`queries._UnderWay`), without reading the period's rows to find them; SQLite looks them
  up by workshop, PostgreSQL by when the workshop ends (it knows how few rows end later).
- reach_fact by the person (where they live, age band, gender) with every column the
  person's cube reads (`queries._first_levels`): SQLite reads it in that order, so the cube
  is neither sorted nor looked up row by row (0.42 s to 0.13 s on the bench data).
"""

from sqlalchemy import Index

from workshops.attendance.models import Attendance
from workshops.catalogue.models import Session, Workshop
from workshops.reach.facts import ReachFact

attendance_by_registration = Index("ix_attendance_registration_present",
                                   Attendance.registration_id, Attendance.present)
workshops_by_start = Index("ix_workshop_first_session_starts_at",
                           Workshop.first_session_starts_at)
sessions_held = Index("ix_workshop_session_held", Session.workshop_id, Session.ends_at)
facts_by_workshop = Index("ix_reach_fact_workshop_id", ReachFact.workshop_id)
facts_by_end = Index("ix_reach_fact_ends_at", ReachFact.ends_at)
# The person's cube's keys first, in its GROUP BY order, then what it counts.
FACTS_BY_PERSON_COLUMNS = (
    "home_neighbourhood_id", "age_band", "gender", "home_district_id", "began_at", "ends_at",
    "status", "present_marks", "marks", "sessions", "prev_registered", "prev_attended",
    "first_present_began_at", "workshop_id")
facts_by_person = Index("ix_reach_fact_by_person",
                        *(ReachFact.__table__.c[name] for name in FACTS_BY_PERSON_COLUMNS))
