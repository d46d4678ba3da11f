-- AllMyLeads on Postgres, schema version 1.
--
-- Every column that holds personal data is sealed (AES-256-GCM, a
-- version byte, nonce, ciphertext and tag) before it leaves the process;
-- contacts are named by ck, the keyed hash of their URN (64 hex digits),
-- and message and provider ids by keyed hashes too. What is in the clear:
-- times, stage and tab names, channel names, record ids the store or the
-- engine made, counts, and the processes' claims.

-- The database's salt and key check (the key itself is never stored).
CREATE TABLE meta (
	name  text PRIMARY KEY,
	value bytea NOT NULL
);

-- The open stores: each claims inbox payloads and outbox messages while
-- its lease runs; a process that dies lets its claims go when it ends.
CREATE TABLE processes (
	id          text PRIMARY KEY,
	started     timestamptz NOT NULL DEFAULT now(),
	lease_until timestamptz NOT NULL
);

-- One row per contact: the row a turn locks, its conversation, record,
-- last inbound time and lead row (sealed), and the lead list's index
-- (a time, a stage and a tab: no personal data).
CREATE TABLE contacts (
	ck           text COLLATE "C" PRIMARY KEY,
	session      bytea,
	contact      bytea,
	last_inbound bytea,
	lead         bytea,
	listed       boolean NOT NULL DEFAULT false,
	activity     timestamptz,
	stage        text,
	tab          text
);
CREATE INDEX contacts_lead_time ON contacts (activity DESC, ck) WHERE listed;
CREATE INDEX contacts_lead_stage ON contacts (stage, activity DESC, ck) WHERE listed;
CREATE INDEX contacts_lead_tab ON contacts (tab, activity DESC, ck) WHERE listed;

-- The totals per pipeline stage, in shards so turns of different
-- contacts rarely wait for one another.
CREATE TABLE lead_stats (
	shard integer PRIMARY KEY,
	value bytea NOT NULL
);

-- Inbound message ids already handled: the exactly-once key, the keyed
-- hash of (channel, id), written in the turn's transaction.
CREATE TABLE seen (
	key   bytea PRIMARY KEY,
	at    timestamptz NOT NULL,
	value bytea NOT NULL
);
CREATE INDEX seen_at ON seen (at);

-- The message log.
CREATE TABLE messages (
	id    bigserial PRIMARY KEY,
	ck    text COLLATE "C" NOT NULL,
	at    timestamptz NOT NULL,
	value bytea NOT NULL
);
CREATE INDEX messages_ck ON messages (ck, at, id);
CREATE INDEX messages_at ON messages (at);

-- Provider message ids (keyed hashes) of sent messages, for status reports.
CREATE TABLE provider_ids (
	key        bytea PRIMARY KEY,
	message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE
);
CREATE INDEX provider_ids_message ON provider_ids (message_id);

CREATE TABLE projects (
	ck          text COLLATE "C" NOT NULL,
	id          text COLLATE "C" NOT NULL,
	retain_from timestamptz NOT NULL,
	value       bytea NOT NULL,
	PRIMARY KEY (ck, id)
);

-- Quotes; ck is null for a paid quote kept without personal data after
-- its contact was erased.
CREATE TABLE quotes (
	id    text COLLATE "C" PRIMARY KEY,
	ck    text COLLATE "C",
	value bytea NOT NULL
);
CREATE INDEX quotes_ck ON quotes (ck);

-- Payments received for quotes (a provider's id is the key, so a retried
-- event is recorded once); ck is null once the contact was erased.
CREATE TABLE payments (
	id       text PRIMARY KEY,
	quote_id text COLLATE "C" NOT NULL,
	ck       text COLLATE "C",
	at       timestamptz NOT NULL,
	value    bytea NOT NULL
);
CREATE INDEX payments_ck ON payments (ck);
CREATE INDEX payments_quote ON payments (quote_id);

CREATE TABLE quote_revs (
	quote_id text COLLATE "C" NOT NULL,
	revision integer NOT NULL,
	value    bytea NOT NULL,
	PRIMARY KEY (quote_id, revision)
);

CREATE SEQUENCE record_ids;

CREATE TABLE consents (
	ck    text COLLATE "C" NOT NULL,
	id    text COLLATE "C" NOT NULL,
	value bytea NOT NULL,
	PRIMARY KEY (ck, id)
);

CREATE TABLE opt_events (
	id    bigserial PRIMARY KEY,
	ck    text COLLATE "C" NOT NULL,
	at    timestamptz NOT NULL,
	value bytea NOT NULL
);
CREATE INDEX opt_events_ck ON opt_events (ck, at, id);

CREATE TABLE ai_records (
	id    bigserial PRIMARY KEY,
	ck    text COLLATE "C" NOT NULL,
	at    timestamptz NOT NULL,
	value bytea NOT NULL
);
CREATE INDEX ai_records_ck ON ai_records (ck, at, id);
CREATE INDEX ai_records_at ON ai_records (at);

CREATE TABLE notes (
	id    bigserial PRIMARY KEY,
	ck    text COLLATE "C" NOT NULL,
	at    timestamptz NOT NULL,
	value bytea NOT NULL
);
CREATE INDEX notes_ck ON notes (ck, at, id);

-- The audit log; ck is the contact key of an entry about a contact.
CREATE TABLE audit (
	id    bigserial PRIMARY KEY,
	at    timestamptz NOT NULL,
	ck    text COLLATE "C",
	value bytea NOT NULL
);
CREATE INDEX audit_at ON audit (at, id);
CREATE INDEX audit_ck ON audit (ck);

-- Photos and files by the hex SHA-256 of their bytes, and who owns them.
CREATE TABLE media (
	id    text COLLATE "C" PRIMARY KEY,
	value bytea NOT NULL
);
CREATE TABLE media_owners (
	id text COLLATE "C" NOT NULL,
	ck text COLLATE "C" NOT NULL,
	PRIMARY KEY (id, ck)
);
CREATE INDEX media_owners_ck ON media_owners (ck);

-- Once turns: when a turn with that key was last committed for the contact.
CREATE TABLE once (
	ck    text COLLATE "C" NOT NULL,
	key   text NOT NULL,
	at    timestamptz NOT NULL,
	PRIMARY KEY (ck, key)
);

-- The outbox: ids in commit order (a contact's in order: its turns are
-- serialised); claimed_by is the process sending it.
-- lane is the keyed hash of what orders the item (its recipient, or a
-- webhook's lead and receiver: core.Outbound.Lane), ck its recipient's
-- contact key.
CREATE SEQUENCE outbox_ids;
CREATE TABLE outbox (
	id         bigint PRIMARY KEY,
	channel    text NOT NULL,
	ck         text COLLATE "C" NOT NULL,
	lane       text COLLATE "C" NOT NULL,
	not_before timestamptz,
	in_flight  timestamptz,
	message_id bigint,
	claimed_by text,
	value      bytea NOT NULL
);
CREATE INDEX outbox_channel ON outbox (channel, id);
CREATE INDEX outbox_ck ON outbox (ck, id);
CREATE INDEX outbox_lane ON outbox (lane, id);

-- Notices (owner's cards, webhook deliveries) that failed for good,
-- without body or contact.
CREATE TABLE notice_failures (
	seq    bigserial PRIMARY KEY,
	id     text NOT NULL,
	failed timestamptz NOT NULL,
	value  bytea NOT NULL
);

-- The funnel: each contact once per step and kind (r: reached, a:
-- answered); an erased contact's marks stay without its key, so the counts
-- stay and name nobody.
CREATE TABLE funnel_marks (
	ck       text COLLATE "C",
	answered boolean NOT NULL,
	flow     text NOT NULL,
	step     text NOT NULL
);
CREATE UNIQUE INDEX funnel_marks_contact ON funnel_marks (ck, answered, flow, step) WHERE ck IS NOT NULL;

-- The due-time index of the sessions' timers (core.Timers), kept in step
-- with each saved session; claimed_until is a scheduler's claim.
CREATE TABLE timers (
	ck            text COLLATE "C" NOT NULL,
	id            text NOT NULL,
	due           timestamptz NOT NULL,
	claimed_until timestamptz,
	value         bytea NOT NULL,
	PRIMARY KEY (ck, id)
);
CREATE INDEX timers_due ON timers (due);

-- The inbox of raw webhook payloads; lanes are the contact keys of the
-- payload's messages (one contact's payloads are handed out in order),
-- claimed_by the process handling it.
CREATE TABLE inbox (
	id         bigserial PRIMARY KEY,
	channel    text NOT NULL,
	received   timestamptz NOT NULL,
	attempts   integer NOT NULL DEFAULT 0,
	lanes      text[] COLLATE "C" NOT NULL DEFAULT '{}',
	claimed_by text,
	value      bytea NOT NULL
);
CREATE INDEX inbox_lanes ON inbox USING gin (lanes);

-- The owner's records.
CREATE TABLE tokens (
	name  text PRIMARY KEY,
	value bytea NOT NULL
);
CREATE TABLE owner (
	name  text PRIMARY KEY,
	value bytea NOT NULL
);
