"""On PostgreSQL, responses are range-partitioned by month of `completed_at` (README "National
scale"; rapport.partitions). The primary key becomes (id, completed_at) at the database level.

What PostgreSQL cannot keep on a partitioned table without the month, triggers keep:
- one response per assignment: the insert locks its assignment's row, then looks for another
  response to it, so two concurrent submissions of one form cannot both pass;
- the references to responses from alerts (`source_response`) and trajectory statuses
  (`response`), which were foreign keys: checked when a referencing row is written and when a
  response is deleted (or moved), at commit, as the deferred foreign keys were. Row locks that a
  foreign key takes are not taken: a response deleted while another transaction references it
  could slip through; responses are never deleted by Rapport (an assignment PROTECTs its own).
New foreign keys to responses cannot be added on PostgreSQL: reference them the same way.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from rapport.partitions import partition_table

TRIGGERS = r"""
CREATE OR REPLACE FUNCTION rapport_response_one_per_assignment() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM measures_assignment WHERE id = NEW.assignment_id FOR UPDATE;
    IF EXISTS (
        SELECT 1 FROM measures_response WHERE assignment_id = NEW.assignment_id AND id <> NEW.id
    ) THEN
        RAISE EXCEPTION 'duplicate key value violates unique constraint "measures_response_assignment_id_key"'
            USING ERRCODE = 'unique_violation',
                  DETAIL = format('assignment %s already has its response', NEW.assignment_id);
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION rapport_response_exists() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    referenced bigint := (to_jsonb(NEW) ->> TG_ARGV[0])::bigint;
BEGIN
    IF referenced IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM measures_response WHERE id = referenced) THEN
        RAISE EXCEPTION 'insert or update on table "%" violates its reference to measures_response', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (%s)=(%s) is not present in table "measures_response".', TG_ARGV[0], referenced);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION rapport_response_unreferenced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM measures_response WHERE id = OLD.id)
       AND (EXISTS (SELECT 1 FROM alerts_alert WHERE source_response_id = OLD.id)
            OR EXISTS (SELECT 1 FROM trajectories_scorestatus WHERE response_id = OLD.id)) THEN
        RAISE EXCEPTION 'update or delete on table "measures_response" violates a reference to it'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (id)=(%s) is still referenced.', OLD.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER response_one_per_assignment BEFORE INSERT OR UPDATE OF assignment_id
    ON measures_response FOR EACH ROW EXECUTE FUNCTION rapport_response_one_per_assignment();
CREATE CONSTRAINT TRIGGER response_unreferenced AFTER DELETE OR UPDATE OF id
    ON measures_response DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION rapport_response_unreferenced();
CREATE CONSTRAINT TRIGGER alert_source_response_exists
    AFTER INSERT OR UPDATE OF source_response_id ON alerts_alert DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION rapport_response_exists('source_response_id');
CREATE CONSTRAINT TRIGGER score_status_response_exists
    AFTER INSERT OR UPDATE OF response_id ON trajectories_scorestatus DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION rapport_response_exists('response_id');
"""


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    partition_table(schema_editor, "measures_response", unique_by_trigger=["assignment_id"])
    schema_editor.execute(TRIGGERS, params=None)


class Migration(migrations.Migration):
    # After every migration that makes a foreign key to responses: those are replaced here.
    dependencies = [
        ("measures", "0005_default_measure_plan"),
        ("alerts", "0006_alert_kind_plan_changes"),
        ("trajectories", "0002_trajectory_setting_upper_bounds"),
    ]

    # Not undone: the partitioned table works with every earlier migration and with the code.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
