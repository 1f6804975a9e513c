-- The Overview's hourly tallies: for each hour (unix ms of its start) and
-- group, how many messages carrying codes were created in it and what
-- became of them, how many codes were issued in it and used, and how many
-- of the audit events the Overview counts happened in it. Each statement
-- that writes what they count changes them in its own transaction
-- (sqlstore's overview.go), so that a day or a week is read from at most
-- 168 rows a group, whatever the number of messages. A message being sent
-- is tallied as queued (both are waiting); the groups are those of
-- sqlstore's messageTallyKey. The same as SQLite's 0012.
CREATE TABLE overview_messages (
    hour          BIGINT  NOT NULL,
    channel       TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    provider      TEXT    NOT NULL,
    prefix        TEXT    NOT NULL,
    delivery_time INTEGER NOT NULL,
    count         BIGINT  NOT NULL,
    PRIMARY KEY (hour, channel, status, provider, prefix, delivery_time)
);
CREATE TABLE overview_codes (
    hour     BIGINT  NOT NULL,
    channel  TEXT    NOT NULL,
    prefix   TEXT    NOT NULL,
    issued   BIGINT  NOT NULL,
    verified BIGINT  NOT NULL,
    PRIMARY KEY (hour, channel, prefix)
);
CREATE TABLE overview_events (
    hour    BIGINT  NOT NULL,
    event   TEXT    NOT NULL,
    outcome TEXT    NOT NULL,
    count   BIGINT  NOT NULL,
    PRIMARY KEY (hour, event, outcome)
);

-- What is there already, tallied as the statements would have.
INSERT INTO overview_messages (hour, channel, status, provider, prefix, delivery_time, count)
SELECT created_at - created_at % 3600000, channel,
    CASE WHEN status = 'sending' THEN 'queued' ELSE status END, provider,
    CASE WHEN channel = 'sms' THEN substr(destination, 1, 4) ELSE '' END,
    CASE WHEN status = 'delivered' THEN CASE WHEN updated_at - created_at < 5000 THEN 0
        WHEN updated_at - created_at < 15000 THEN 1 WHEN updated_at - created_at < 60000 THEN 2
        WHEN updated_at - created_at < 300000 THEN 3 ELSE 4 END ELSE -1 END,
    count(*)
FROM messages WHERE challenge_id IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO overview_codes (hour, channel, prefix, issued, verified)
SELECT created_at - created_at % 3600000, channel,
    CASE WHEN channel = 'sms' THEN substr(destination, 1, 4) ELSE '' END,
    count(*), count(consumed_at)
FROM challenges
GROUP BY 1, 2, 3;
INSERT INTO overview_events (hour, event, outcome, count)
SELECT time - time % 3600000, event, outcome, count(*)
FROM audit_events
WHERE (event = 'code.sent' AND outcome = 'limited') OR (event = 'account.locked' AND outcome IN ('codes', 'password'))
    OR (event = 'login' AND outcome = 'success')
GROUP BY 1, 2, 3;
