"""On PostgreSQL, refuse UPDATE, DELETE and TRUNCATE of audit events below the application.

The chain head may only step forward by one, onto the event just appended. The test runner (and
only it) sets `rapport.audit_maintenance` so that it can empty the tables between tests. A role
that owns the tables can still drop these triggers: README "Audit trail" describes the separate
database role that closes that gap. SQLite has no equivalent guard; the keyed chain and the
checkpoints detect tampering there.
"""

from collections.abc import Callable

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

INSTALL = r"""
CREATE OR REPLACE FUNCTION rapport_audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'TRUNCATE' OR (TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_auditchainhead'))
       AND coalesce(current_setting('rapport.audit_maintenance', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE FUNCTION rapport_audit_head_advance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id = OLD.id
       AND NEW.last_sequence = OLD.last_sequence + 1
       AND EXISTS (
           SELECT 1 FROM audit_auditevent
           WHERE sequence = NEW.last_sequence
             AND hash = NEW.last_hash
             AND previous_hash = OLD.last_hash
       ) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit chain head may only advance onto the event just appended'
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION rapport_audit_refuse_change();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION rapport_audit_refuse_change();
CREATE TRIGGER audit_head_advance_only BEFORE UPDATE ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION rapport_audit_head_advance();
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION rapport_audit_refuse_change();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION rapport_audit_refuse_change();
"""

REMOVE = r"""
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_head_advance_only ON audit_auditchainhead;
DROP TRIGGER IF EXISTS audit_head_no_delete ON audit_auditchainhead;
DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_auditchainhead;
DROP FUNCTION IF EXISTS rapport_audit_refuse_change();
DROP FUNCTION IF EXISTS rapport_audit_head_advance();
"""


def on_postgresql(sql: str) -> Callable[[StateApps, BaseDatabaseSchemaEditor], None]:
    def run(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_event_key_id")]

    operations = [migrations.RunPython(on_postgresql(INSTALL), on_postgresql(REMOVE))]
