"""post_migrate: the default policy row, the escalation schedule, and PostgreSQL-only guards."""

from __future__ import annotations

from typing import Any

from common.db import postgres_sql_install

ESCALATION_TASK = "partners.escalate_overdue_collisions"

# P4 [002 §10]: once a customer executive is attached, the database refuses to end or change it.
EXECUTIVE_LOCK_SQL = """
CREATE OR REPLACE FUNCTION partners_customer_executive_locked() RETURNS trigger AS $$
BEGIN
  IF OLD.account_executive_id IS NOT NULL
     AND NEW.account_executive_id IS DISTINCT FROM OLD.account_executive_id THEN
    RAISE EXCEPTION 'account executive attachment cannot be ended (P4)' USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS partners_customer_executive_locked ON crm_customer;
CREATE TRIGGER partners_customer_executive_locked
  BEFORE UPDATE OF account_executive_id ON crm_customer
  FOR EACH ROW EXECUTE FUNCTION partners_customer_executive_locked();
"""


def on_post_migrate(sender: Any, **kwargs: Any) -> None:
    if getattr(sender, "name", "") != "partners":
        return
    from common.schedules import beat_job_ensure
    from partners.selectors import policy_for

    policy_for()  # creates the default policy row when there is none
    beat_job_ensure("撞单超期提交大区经理 (partners)", ESCALATION_TASK, minute="30", hour="8")
    postgres_sql_install(EXECUTIVE_LOCK_SQL)
