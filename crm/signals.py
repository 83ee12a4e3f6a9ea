import logging

from django.db import DatabaseError, connections, transaction
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from common.db import postgres_sql_install, truncate_guard_sql
from crm.roles import ensure_roles

logger = logging.getLogger(__name__)

# Search on 1M customers: `name__icontains` is `UPPER(name::text) LIKE UPPER('%…%')` on PostgreSQL; a trigram
# GIN index on that same expression answers it without a sequential scan (Chinese text works: the
# databases use a UTF-8 ctype). Django can't express the operator class on an expression portably, so it
# lives here, idempotent, instead of in a migration.
TRIGRAM_SQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_name_trgm_idx"
    " ON crm_customer USING gin ((UPPER(name::text)) gin_trgm_ops)",
    # Issue 16, the global search (crm/search.py): every OR branch of a kind's condition has its own index,
    # so PostgreSQL combines bitmaps instead of scanning a million rows for a rare term. `icontains` is
    # UPPER(col::text) LIKE, `contains` (phone digits) is col::text LIKE, `iexact` is UPPER(col::text) =.
    "CREATE INDEX IF NOT EXISTS customer_phone_trgm_idx"
    " ON crm_customer USING gin ((phone::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS customer_credit_code_upper_idx"
    " ON crm_customer USING btree ((UPPER(credit_code::text)))",
    "CREATE INDEX IF NOT EXISTS contact_name_trgm_idx"
    " ON crm_contact USING gin ((UPPER(name::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS contact_phone_trgm_idx ON crm_contact USING gin ((phone::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS opportunity_name_trgm_idx"
    " ON crm_opportunity USING gin ((UPPER(name::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS contract_number_trgm_idx"
    " ON crm_contract USING gin ((UPPER(number::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS contract_title_trgm_idx"
    " ON crm_contract USING gin ((UPPER(title::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS order_number_trgm_idx"
    " ON crm_order USING gin ((UPPER(number::text)) gin_trgm_ops)",
]


def ensure_search_indexes(using: str = "default") -> bool:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            for sql in TRIGRAM_SQL:
                cursor.execute(sql)
    except DatabaseError as exc:  # e.g. no right to create the extension: search still works, slower
        logger.warning("customer name trigram index not created: %s", exc)
        return False
    return True


# Issue 17: approval chains are history: never truncated (common.db.truncate_guard_sql).
TRUNCATE_GUARDED = ("crm_approvalrequest", "crm_approvalstep")


@receiver(post_migrate)
def _create_roles(sender, **kwargs):  # type: ignore[no-untyped-def]
    if getattr(sender, "name", "") == "crm":
        ensure_roles()
        ensure_search_indexes(kwargs.get("using", "default"))
        postgres_sql_install(truncate_guard_sql(*TRUNCATE_GUARDED), using=kwargs.get("using", "default"))


@receiver(post_migrate)
def _seed_pipeline_defaults(sender, **kwargs):  # type: ignore[no-untyped-def]
    """Q2/L2: seed the SPEC authority matrix and funnel once; admins edit them afterwards."""
    if getattr(sender, "name", "") == "crm":
        from crm.services.approvals import authority_rules_seed_defaults
        from crm.services.opportunities import stages_seed_defaults

        authority_rules_seed_defaults()
        stages_seed_defaults()


@receiver(post_migrate)
def _register_pool_schedule(sender, **kwargs):  # type: ignore[no-untyped-def]
    # C9: the daily pool sweep, as an admin-editable django_celery_beat task (once both apps are migrated).
    if getattr(sender, "name", "") == "crm":
        from crm.tasks import ensure_pool_schedule, ensure_task_schedule

        ensure_pool_schedule()
        ensure_task_schedule()  # issue 16: task reminders and overdue flags
