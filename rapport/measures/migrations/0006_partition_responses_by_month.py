"""On PostgreSQL, responses are range-partitioned by month of `completed_at` (README "National
scale"; rapport.partitions). The primary key becomes (id, completed_at) at the database level.

What PostgreSQL cannot keep on a partitioned table without the month, triggers keep:
- one response per assignment: the insert locks its assignment's row, then looks for another
  response to it, so two concurrent submissions of one form cannot both pass;
- the references to responses from alerts (`source_response`) and trajectory statuses
  (`response`), which were foreign keys: checked at the end of each statement that writes
  referencing rows or deletes (or moves) responses, one join per statement rather than a lookup
  per row, so a refit's hundreds of thousands of statuses are checked in one pass. Unlike the
  deferred foreign keys, the check is at the statement, not at commit: a response must exist
  before what refers to it, which is how Rapport writes them. Row locks that a foreign key takes
  are not taken: a response deleted while another transaction references it could slip through;
  Rapport never deletes responses (an assignment PROTECTs its own).
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

CREATE OR REPLACE FUNCTION rapport_responses_exist() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    EXECUTE format(
        'SELECT n.%1$I FROM written n WHERE n.%1$I IS NOT NULL AND NOT EXISTS '
        '(SELECT 1 FROM measures_response r WHERE r.id = n.%1$I) LIMIT 1',
        TG_ARGV[0]
    ) INTO missing;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "%" violates its reference to measures_response', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (%s)=(%s) is not present in table "measures_response".', TG_ARGV[0], missing);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION rapport_responses_unreferenced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    referenced bigint;
BEGIN
    SELECT o.id INTO referenced FROM removed o
    WHERE NOT EXISTS (SELECT 1 FROM measures_response r WHERE r.id = o.id)
      AND (EXISTS (SELECT 1 FROM alerts_alert WHERE source_response_id = o.id)
           OR EXISTS (SELECT 1 FROM trajectories_scorestatus WHERE response_id = o.id))
    LIMIT 1;
    IF referenced IS NOT NULL THEN
        RAISE EXCEPTION 'update or delete on table "measures_response" violates a reference to it'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (id)=(%s) is still referenced.', referenced);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER response_one_per_assignment BEFORE INSERT OR UPDATE OF assignment_id
    ON measures_response FOR EACH ROW EXECUTE FUNCTION rapport_response_one_per_assignment();
CREATE TRIGGER responses_deleted_unreferenced AFTER DELETE ON measures_response
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION rapport_responses_unreferenced();
CREATE TRIGGER responses_updated_unreferenced AFTER UPDATE ON measures_response
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION rapport_responses_unreferenced();
CREATE TRIGGER alerts_inserted_response_exists AFTER INSERT ON alerts_alert
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION rapport_responses_exist('source_response_id');
CREATE TRIGGER alerts_updated_response_exists AFTER UPDATE ON alerts_alert
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION rapport_responses_exist('source_response_id');
CREATE TRIGGER statuses_inserted_response_exists AFTER INSERT ON trajectories_scorestatus
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION rapport_responses_exist('response_id');
CREATE TRIGGER statuses_updated_response_exists AFTER UPDATE ON trajectories_scorestatus
    REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION rapport_responses_exist('response_id');
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
