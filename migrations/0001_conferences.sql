-- Conferences (issue #2: what the CLI books and the dial plan reads).
-- Portable between SQLite and PostgreSQL: text ids made by the application, times as Unix
-- seconds in BIGINT (UTC), no database-specific types.
CREATE TABLE conferences (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    title TEXT NOT NULL,
    access_code TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    capacity BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX conferences_number ON conferences (number, starts_at);
