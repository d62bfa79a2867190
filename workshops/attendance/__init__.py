"""Attendance: facilitators' rosters on a tablet, walk-ins, offline sync."""
