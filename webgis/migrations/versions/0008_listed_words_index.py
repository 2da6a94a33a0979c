"""SQLite: an FTS5 trigram index of the finder's texts, kept by triggers.

Revision ID: 0008
Revises: 0007
Created: 2026-12-08

The finder found a word inside the listed texts with ``LIKE '%word%'``, which reads
every text; the index finds them from the word's trigrams. It is filled from the
texts already stored. PostgreSQL keeps its ``pg_trgm`` index of the first revision.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# As the models make it today, written out: a migration stays as it was.
_OLD = (
    "INSERT INTO listed_words(listed_words, rowid, search_text)"
    " VALUES ('delete', old.feature_id, old.search_text);"
)
_NEW = (
    "INSERT INTO listed_words(rowid, search_text)"
    " VALUES (new.feature_id, new.search_text);"
)
STATEMENTS = (
    "CREATE VIRTUAL TABLE listed_words USING fts5(search_text,"
    " content='listed_texts', content_rowid='feature_id', tokenize='trigram')",
    "INSERT INTO listed_words(listed_words) VALUES ('rebuild')",
    f"CREATE TRIGGER listed_words_insert AFTER INSERT ON listed_texts BEGIN {_NEW} END",
    f"CREATE TRIGGER listed_words_delete AFTER DELETE ON listed_texts BEGIN {_OLD} END",
    "CREATE TRIGGER listed_words_update AFTER UPDATE ON listed_texts"
    f" BEGIN {_OLD} {_NEW} END",
)


def upgrade():
    """Make the index and its triggers; 'rebuild' reads the stored texts."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade():
    """Drop the triggers and the index."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for change in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS listed_words_{change}")
    op.execute("DROP TABLE IF EXISTS listed_words")
