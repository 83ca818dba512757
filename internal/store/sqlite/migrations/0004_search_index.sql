-- `--search` is answered from an index: invitations_search is an FTS5 table
-- with the trigram tokenizer over invitations.search_text (the folded first
-- name, last name and email, one per line), so a term of three characters
-- or more is a lookup of its trigrams, not a read of every row. It keeps no
-- copy of the text (content = invitations) and is kept in step with every
-- write by the triggers below, whichever path writes (create, edit, bulk
-- insert, seed, copy, import). The text is already folded in Go
-- (internal/store/schema), so the tokenizer is case-sensitive: a phrase
-- matches exactly the texts that contain it, as instr does.

CREATE VIRTUAL TABLE invitations_search USING fts5(
    search_text,
    content = 'invitations',
    content_rowid = 'id',
    tokenize = 'trigram case_sensitive 1'
);

CREATE TRIGGER invitations_search_insert AFTER INSERT ON invitations BEGIN
    INSERT INTO invitations_search (rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE TRIGGER invitations_search_delete AFTER DELETE ON invitations BEGIN
    INSERT INTO invitations_search (invitations_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;

CREATE TRIGGER invitations_search_update AFTER UPDATE OF id, search_text ON invitations BEGIN
    INSERT INTO invitations_search (invitations_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO invitations_search (rowid, search_text) VALUES (new.id, new.search_text);
END;

-- The invitations already stored.
INSERT INTO invitations_search (invitations_search) VALUES ('rebuild');
