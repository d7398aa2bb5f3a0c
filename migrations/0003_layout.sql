-- Issue #6: the video layout of a conference ('' = the bridge's default, see README), and of a
-- booking (copied to each of its occurrences).
ALTER TABLE conferences ADD COLUMN layout TEXT NOT NULL DEFAULT '';
ALTER TABLE bookings ADD COLUMN layout TEXT NOT NULL DEFAULT '';
