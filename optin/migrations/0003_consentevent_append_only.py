"""Make the consent ledger append-only in the database itself (PostgreSQL).

A statement-level trigger refuses every UPDATE and DELETE on
optin_consentevent, whatever the client: the ORM, the admin, raw SQL or a
console. TRUNCATE is left to database privileges (Django's test runner
empties tables with it between transactional tests). A later data migration
that truly must rewrite rows has to drop the trigger explicitly, which leaves
a trace in the migration history.

Other databases (SQLite in development) get no trigger: the model and its
queryset refuse updates and deletes there.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION optin_consentevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'optin_consentevent is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Consent ledger rows are proof for carriers and courts; insert a new row.';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER optin_consentevent_append_only
    BEFORE UPDATE OR DELETE ON optin_consentevent
    FOR EACH STATEMENT EXECUTE FUNCTION optin_consentevent_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS optin_consentevent_append_only ON optin_consentevent;
DROP FUNCTION IF EXISTS optin_consentevent_refuse_change();
"""


class PostgresOnlyRunSQL(migrations.RunSQL):
    """RunSQL that runs only on PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("optin", "0002_review_and_do_not_text"),
    ]

    operations = [PostgresOnlyRunSQL(FORWARD, BACKWARD)]
