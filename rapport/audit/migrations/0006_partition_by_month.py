"""On PostgreSQL, audit events are range-partitioned by month of `occurred_at` (README "National
scale"; rapport.partitions). The primary key becomes (id, occurred_at) at the database level. The
append-only triggers move to the partitioned table (row triggers reach every partition; the
TRUNCATE guard is added to each partition as it is made), and `sequence`, which can no longer be
a unique index without the month, is kept unique by a trigger: sealing is serialised by the lock
on the chain head, so the check cannot race with another sealing.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from rapport.partitions import AUDIT_PARTITION_TRIGGER, partition_table

TRIGGERS = r"""
CREATE OR REPLACE FUNCTION rapport_audit_sequence_unique() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.sequence IS NOT NULL
       AND (TG_OP = 'INSERT' OR OLD.sequence IS DISTINCT FROM NEW.sequence)
       AND EXISTS (
           SELECT 1 FROM audit_auditevent WHERE sequence = NEW.sequence AND id <> NEW.id
       ) THEN
        RAISE EXCEPTION 'duplicate key value violates unique constraint "audit_auditevent_sequence_key"'
            USING ERRCODE = 'unique_violation', DETAIL = format('sequence %s is taken', NEW.sequence);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION rapport_audit_refuse_change();
CREATE TRIGGER audit_event_seal_only BEFORE UPDATE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION rapport_audit_event_seal_only();
CREATE TRIGGER audit_event_sequence_unique BEFORE INSERT OR UPDATE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION rapport_audit_sequence_unique();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION rapport_audit_refuse_change();
"""


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    partition_table(schema_editor, "audit_auditevent", unique_by_trigger=["sequence"])
    schema_editor.execute(TRIGGERS, params=None)
    schema_editor.execute(
        AUDIT_PARTITION_TRIGGER.format(partition="audit_auditevent_default"), params=None
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_event_sealed_later")]

    # Not undone: the partitioned table works with every earlier migration and with the code.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
