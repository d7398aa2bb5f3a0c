-- Issue #6: the video layout of a conference ('' = the bridge's default, see README).
ALTER TABLE conferences ADD COLUMN layout TEXT NOT NULL DEFAULT '';
