"""Events are appended without a lock and sealed into the chain later (audit.services.audit_seal).

An event's `sequence` stays empty until it is sealed. On PostgreSQL the append-only trigger now
lets exactly one UPDATE through per event: its sealing, which fills `sequence`, `previous_hash`
and `hash` and changes nothing else. The head may advance by several events at once, onto sealed
events that continue the chain it held.
"""

from collections.abc import Callable

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

INSTALL = r"""
CREATE OR REPLACE FUNCTION rapport_audit_event_seal_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.sequence IS NULL AND NEW.sequence IS NOT NULL THEN
        IF (NEW.id, NEW.occurred_at, NEW.practice_id, NEW.actor_id, NEW.actor_email,
            NEW.actor_role, NEW.action, NEW.object_type, NEW.object_id, NEW.client_id,
            NEW.outcome, NEW.request_id, NEW.detail, NEW.key_id)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.occurred_at, OLD.practice_id, OLD.actor_id, OLD.actor_email,
            OLD.actor_role, OLD.action, OLD.object_type, OLD.object_id, OLD.client_id,
            OLD.outcome, OLD.request_id, OLD.detail, OLD.key_id) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE FUNCTION rapport_audit_head_advance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id = OLD.id
       AND NEW.last_sequence > OLD.last_sequence
       AND EXISTS (
           SELECT 1 FROM audit_auditevent
           WHERE sequence = OLD.last_sequence + 1 AND previous_hash = OLD.last_hash
       )
       AND EXISTS (
           SELECT 1 FROM audit_auditevent
           WHERE sequence = NEW.last_sequence AND hash = NEW.last_hash
       ) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit chain head may only advance onto the events just sealed'
        USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION rapport_audit_refuse_change();
CREATE TRIGGER audit_event_seal_only BEFORE UPDATE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION rapport_audit_event_seal_only();
"""

REMOVE = r"""
DROP TRIGGER IF EXISTS audit_event_seal_only ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_no_delete ON audit_auditevent;
DROP FUNCTION IF EXISTS rapport_audit_event_seal_only();
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION rapport_audit_refuse_change();
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
"""


def on_postgresql(sql: str) -> Callable[[StateApps, BaseDatabaseSchemaEditor], None]:
    def run(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_append_only_triggers")]

    operations = [
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ["id"]}),
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(null=True, unique=True),
        ),
        migrations.RunPython(on_postgresql(INSTALL), on_postgresql(REMOVE)),
    ]
