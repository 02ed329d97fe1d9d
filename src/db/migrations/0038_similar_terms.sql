-- Version 38: the vocabulary of the ticket search index, read by the similar solved tickets
-- (`tickets::similar`) to pick a ticket's rarest words: for each word, how many documents hold
-- it. An fts5vocab table stores nothing; it reads `ticket_search`'s index when queried (by name,
-- so it keeps working when that table is made again).
CREATE VIRTUAL TABLE ticket_search_terms USING fts5vocab(ticket_search, 'row');
