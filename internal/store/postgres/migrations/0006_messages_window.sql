-- The SMS budgets of a code count the last hour's text messages on one
-- range of this index, which also holds the columns each budget narrows
-- by (client address, destination). Its leading columns are
-- messages_channel_created's, which it replaces.
CREATE INDEX messages_window ON messages (channel, created_at) INCLUDE (ip, destination);
DROP INDEX messages_channel_created;
