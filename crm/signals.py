import logging

from django.db import DatabaseError, connections, transaction
from django.db.models.signals import post_delete, post_init, post_migrate, post_save
from django.dispatch import receiver

from common.db import postgres_sql_install, truncate_guard_sql
from crm.models import FollowUp
from crm.roles import ensure_roles

logger = logging.getLogger(__name__)

# Search on 1M customers: `name__icontains` is `UPPER(name::text) LIKE UPPER('%…%')` on PostgreSQL; a trigram
# GIN index on that same expression answers it without a sequential scan (Chinese text works: the
# databases use a UTF-8 ctype). Django can't express the operator class on an expression portably, so it
# lives here, idempotent, instead of in a migration.
# Issue 16, the global search (crm/search.py): every OR branch of a kind's condition has its own index,
# so PostgreSQL combines bitmaps instead of scanning a million rows for a rare term. `icontains` is
# UPPER(col::text) LIKE, `contains` (phone digits) is col::text LIKE, `iexact` is UPPER(col::text) =,
# and a whole phone number (crm.search.PhoneEndsWith) is a prefix of the reversed digits: a btree range.
PHONE_TAIL = "(REVERSE(REGEXP_REPLACE(phone::text, '[^0-9]', '', 'g'))) text_pattern_ops"
SEARCH_INDEXES: list[tuple[str, str]] = [
    ("customer_name_trgm_idx", "ON crm_customer USING gin ((UPPER(name::text)) gin_trgm_ops)"),
    ("customer_phone_trgm_idx", "ON crm_customer USING gin ((phone::text) gin_trgm_ops)"),
    ("customer_phone_tail_idx", f"ON crm_customer USING btree ({PHONE_TAIL})"),
    ("customer_credit_code_upper_idx", "ON crm_customer USING btree ((UPPER(credit_code::text)))"),
    ("contact_name_trgm_idx", "ON crm_contact USING gin ((UPPER(name::text)) gin_trgm_ops)"),
    ("contact_phone_trgm_idx", "ON crm_contact USING gin ((phone::text) gin_trgm_ops)"),
    ("contact_phone_tail_idx", f"ON crm_contact USING btree ({PHONE_TAIL})"),
    ("opportunity_name_trgm_idx", "ON crm_opportunity USING gin ((UPPER(name::text)) gin_trgm_ops)"),
    ("contract_number_trgm_idx", "ON crm_contract USING gin ((UPPER(number::text)) gin_trgm_ops)"),
    ("contract_title_trgm_idx", "ON crm_contract USING gin ((UPPER(title::text)) gin_trgm_ops)"),
    ("order_number_trgm_idx", "ON crm_order USING gin ((UPPER(number::text)) gin_trgm_ops)"),
    ("quote_number_trgm_idx", "ON crm_quote USING gin ((UPPER(number::text)) gin_trgm_ops)"),
    ("quote_title_trgm_idx", "ON crm_quote USING gin ((UPPER(title::text)) gin_trgm_ops)"),
    ("lead_company_trgm_idx", "ON crm_lead USING gin ((UPPER(company::text)) gin_trgm_ops)"),
]


# Issue 16: the contacts and opportunities lists' sort and count indexes (bench/pipeline_lists.py): declared
# on the models (Meta.indexes, migration 0028's state) and, on PostgreSQL, built here CONCURRENTLY like the
# search indexes — a million contacts keep taking writes while theirs is built.
MODEL_INDEXES: list[tuple[str, str]] = [
    ("crm.Contact", "contact_customer_role_idx"),
    ("crm.Opportunity", "opportunity_amount_id_idx"),
    ("crm.Opportunity", "opportunity_registered_id_idx"),
    ("crm.Opportunity", "opportunity_owner_stage_idx"),
    # whoever sees everything sorts the whole table (crm 0034)
    ("crm.Customer", "customer_name_id_idx"),
    ("crm.Contract", "contract_amount_id_idx"),
    ("crm.Order", "order_total_id_idx"),
    ("crm.Quote", "quote_total_id_idx"),
    ("crm.Lead", "lead_company_id_idx"),
]


def model_index_definitions(connection) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(name, "ON table (columns)") of each of MODEL_INDEXES, as the model declares it."""
    from django.apps import apps

    editor = connection.SchemaEditorClass(connection, collect_sql=True, atomic=False)
    definitions = []
    for label, name in MODEL_INDEXES:
        model = apps.get_model(label)
        index = next(i for i in model._meta.indexes if i.name == name)
        sql = str(index.create_sql(model, editor))  # CREATE INDEX "name" ON "table" (…)
        definitions.append((name, sql.split(f"{editor.quote_name(name)} ", 1)[1]))
    return definitions


def _index_is_invalid(cursor, name: str) -> bool:  # type: ignore[no-untyped-def]
    """A CREATE INDEX CONCURRENTLY that failed half-way leaves an invalid index behind, which IF NOT
    EXISTS would then keep forever: it is dropped and built again."""
    cursor.execute(
        "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE c.relname = %s AND pg_catalog.pg_table_is_visible(c.oid)",
        [name],
    )
    row = cursor.fetchone()
    return bool(row and row[0])


def ensure_search_indexes(using: str = "default") -> bool:
    """Build the search indexes and the lists' model indexes (MODEL_INDEXES) that are missing (PostgreSQL
    only). Outside a transaction — after `migrate`, in a deployment — they are built CONCURRENTLY, so a
    big table keeps taking writes while its index is built; inside one (a test) that is impossible and
    they are built plainly."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    concurrently = not connection.in_atomic_block
    done, built = True, set()
    indexes = model_index_definitions(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as exc:  # e.g. no right to create the extension: search still works, slower
        logger.warning("pg_trgm not available, search indexes not created: %s", exc)
        done = False
    else:
        indexes = [*SEARCH_INDEXES, *indexes]
    for name, definition in indexes:
        try:
            if concurrently:
                with connection.cursor() as cursor:
                    if _index_is_invalid(cursor, name):
                        cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
                    cursor.execute("SELECT to_regclass(%s) IS NULL", [name])
                    if cursor.fetchone()[0]:
                        cursor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} {definition}")
                        built.add(definition.split()[1].strip('"'))
            else:
                with transaction.atomic(using=using), connection.cursor() as cursor:
                    cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")
        except DatabaseError as exc:  # one index missing makes its search or list slower, never wrong
            logger.warning("index %s not created: %s", name, exc)
            done = False
    # An expression index has no statistics until its table is analysed: without them the planner guesses
    # 0.5 % of the rows match and walks the primary key instead (2 s for a whole phone number at 1M).
    for table in sorted(built):
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    return done


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


# C7: the customer's next planned contact follows its follow-ups (crm.services.followups), whichever way
# a follow-up is written: the service, the admin, a factory, a cascade. An edit may move a follow-up to
# another customer (the admin's raw id field): both customers are refreshed.
@receiver(post_init, sender=FollowUp, dispatch_uid="crm_followup_loaded")
def _followup_loaded(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
    instance._customer_id_loaded = instance.__dict__.get("customer_id")


@receiver(post_save, sender=FollowUp, dispatch_uid="crm_followup_saved")
@receiver(post_delete, sender=FollowUp, dispatch_uid="crm_followup_deleted")
def _followup_written(sender, instance, **kwargs):  # type: ignore[no-untyped-def]
    from crm.services.followups import customer_next_contact_refresh

    before = getattr(instance, "_customer_id_loaded", None)
    customer_next_contact_refresh(customer_ids=[instance.customer_id, before])
    instance._customer_id_loaded = instance.customer_id
