-- Bookings (issue #4): the portal's reservations, their recipients, the admin accounts with their
-- API tokens and web sessions, the mail outbox, and the number-slot table that makes conference
-- numbers unique among overlapping conferences as a database constraint.
-- Portable between SQLite and PostgreSQL: text ids made by the application, times as Unix seconds
-- in BIGINT (UTC), flags as BIGINT 0/1, no database-specific types or sequences.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_super BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Only SHA-256 digests of tokens are kept: a copy of the database opens nothing.
CREATE TABLE api_tokens (
    digest TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE sessions (
    digest TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- One row per booking, cancelled ones included (their conferences are gone). first_start and
-- last_end summarise the occurrences so lists can be ordered without a join, even once cancelled.
CREATE TABLE bookings (
    id TEXT PRIMARY KEY,
    owner_id TEXT REFERENCES users (id),
    number TEXT NOT NULL,
    title TEXT NOT NULL,
    access_code TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    local_start TEXT NOT NULL,
    duration_minutes BIGINT NOT NULL,
    kind TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    comment TEXT NOT NULL,
    recurrence_weekdays TEXT NOT NULL,
    recurrence_until TEXT NOT NULL,
    language TEXT NOT NULL,
    modify_token TEXT NOT NULL UNIQUE,
    ics_sequence BIGINT NOT NULL,
    cancelled_at BIGINT,
    first_start BIGINT NOT NULL,
    last_end BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX bookings_owner ON bookings (owner_id, first_start);

CREATE TABLE recipients (
    booking_id TEXT NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    email TEXT NOT NULL,
    PRIMARY KEY (booking_id, position)
);

-- Mails are written in the transaction of the booking change that caused them and kept once sent
-- (sent_at set), so a booking is never saved without its invitations, nor the reverse.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    booking_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    ics TEXT NOT NULL,
    ics_method TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);

-- Each conference claims the 5-minute slots of its window (from the early-join time to its end)
-- for its number. The primary key is the allocation rule: two conferences whose windows overlap
-- cannot hold the same number, whatever the interleaving of concurrent bookings.
CREATE TABLE number_slots (
    number TEXT NOT NULL,
    slot BIGINT NOT NULL,
    conference_id TEXT NOT NULL,
    PRIMARY KEY (number, slot)
);
CREATE INDEX number_slots_conference ON number_slots (conference_id);

ALTER TABLE conferences ADD COLUMN booking_id TEXT;
ALTER TABLE conferences ADD COLUMN kind TEXT NOT NULL DEFAULT 'audio';
ALTER TABLE conferences ADD COLUMN language TEXT NOT NULL DEFAULT '';
CREATE INDEX conferences_booking ON conferences (booking_id);

-- Protect the conferences booked before this migration too: claim their slots with the default
-- early-join window (10 minutes). The old check was exact, so two old conferences may round into
-- one shared slot; the first keeps it rather than failing the migration.
WITH RECURSIVE claim (number, slot, last, conference_id) AS (
    SELECT number, (starts_at - 600) / 300, (ends_at + 299) / 300, id
    FROM conferences
    WHERE starts_at >= 600 AND ends_at > starts_at
    UNION ALL
    SELECT number, slot + 1, last, conference_id FROM claim WHERE slot + 1 < last
)
INSERT INTO number_slots (number, slot, conference_id)
SELECT number, slot, conference_id FROM claim WHERE slot < last
ON CONFLICT (number, slot) DO NOTHING;
