-- `--search` is answered from an index: a pg_trgm GIN index over
-- invitations.search_text (the folded first name, last name and email, one
-- per line), which answers `search_text LIKE '%term%'` for a term of three
-- characters or more from the term's trigrams instead of reading every row;
-- the rows it finds are checked against the pattern itself. PostgreSQL
-- keeps it in step with every write, COPY included.
--
-- pg_trgm is a trusted extension: the database's owner may create it. It is
-- created in the first schema of the search_path (the tables' schema)
-- unless the database already has it, in whatever schema; the operator
-- class is named in that schema, so the index needs no search_path.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

DO $$
BEGIN
    EXECUTE format('CREATE INDEX invitations_search ON invitations USING gin (search_text %I.gin_trgm_ops)',
        (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'));
END
$$;
