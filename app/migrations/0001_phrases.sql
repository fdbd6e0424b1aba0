-- 0001: the phrases the palindrome service has checked.
-- Applied once, in file-name order, by the Ansible role postgres_bootstrap as the database owner
-- (it records applied files in schema_migrations). The app's own user only reads and writes rows.
CREATE TABLE IF NOT EXISTS phrases (
    id            bigserial   PRIMARY KEY,
    text          text        NOT NULL,
    normalized    text        NOT NULL,
    is_palindrome boolean     NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- GET /api/palindromes falls back to: newest palindromes first.
CREATE INDEX IF NOT EXISTS phrases_recent_palindromes
    ON phrases (created_at DESC, id DESC)
    WHERE is_palindrome;
