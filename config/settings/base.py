"""Settings shared by every environment. Environment variables override the defaults.

DATABASE_URL       default sqlite:///db.sqlite3 (embedded, no server needed)
CELERY_BROKER_URL  default filesystem:// in ./var/broker (no server needed); redis://… in production
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("CRM_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files (offline intranet, CSP)
    "simple_history",
    "django_celery_beat",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "common",
    "crm",
    "partners",
    "commissions",
    "settlements",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the app server (gunicorn alone serves a working UI).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "common.middleware.LanguageChoiceMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "common.accounts.SessionIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "common.middleware.DomainErrorMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# Issue 17: error pages and error mails mask DATABASE_URL, CELERY_BROKER_URL and any URL's password.
DEFAULT_EXCEPTION_REPORTER_FILTER = "common.error_reports.SecretUrlExceptionReporterFilter"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "common.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several processes (web, worker, beat) share the file: wait instead of failing on a lock.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "crm.User"

# Issue 17: Django's full validator set (similar to the username, at least 8 characters, not a common
# password such as "password", not all digits such as "12345678").
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# --- Accounts (issue 17) ------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out account/address before the password
    "django.contrib.auth.backends.ModelBackend",
]
# Brute force: after AXES_FAILURE_LIMIT failures an account — and, separately, an address — is locked
# for AXES_COOLOFF_TIME hours (ASVS 2.2.1: at most 100 failures an hour). Admins unlock in the admin
# ("Access attempts": delete the rows) or with `manage.py axes_reset_username <name>`.
AXES_FAILURE_LIMIT = int(os.environ.get("CRM_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = int(os.environ.get("CRM_LOGIN_LOCKOUT_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "common.accounts.lockout_response"
AXES_VERBOSE = False
# API tokens expire; a password change or logout ends them too.
CRM_API_TOKEN_TTL_HOURS = int(os.environ.get("CRM_API_TOKEN_TTL_HOURS", "24"))
# A session ends after this many minutes without a request (idle timeout).
CRM_SESSION_IDLE_MINUTES = int(os.environ.get("CRM_SESSION_IDLE_MINUTES", "120"))
SESSION_COOKIE_AGE = CRM_SESSION_IDLE_MINUTES * 60  # renewed by common.accounts.SessionIdleTimeoutMiddleware
SESSION_COOKIE_HTTPONLY = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "crm:my_day"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
# Each language is named in itself, so a reader of either can find theirs.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Without a collected manifest (development, tests) WhiteNoise serves straight from the finders.
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_URL = "media/"  # never routed: files go through views that check access (issue 17)
MEDIA_ROOT = VAR_DIR / "media"
# Issue 17: files are served by the app's views after the access check; behind nginx set this to an
# internal location aliasing MEDIA_ROOT (e.g. "/protected/") and the proxy streams the file.
CRM_FILES_X_ACCEL_REDIRECT = os.environ.get("CRM_FILES_X_ACCEL_REDIRECT", "")
CRM_UPLOAD_MAX_BYTES = 20 * 1024 * 1024
# Export files (full bank account numbers) are deleted this many hours after the export.
CRM_EXPORT_FILE_TTL_HOURS = int(os.environ.get("CRM_EXPORT_FILE_TTL_HOURS", "24"))
# Issue 16/17: Excel/CSV imports run as background jobs, CRM_IMPORT_BATCH_ROWS rows per transaction.
CRM_IMPORT_BATCH_ROWS = int(os.environ.get("CRM_IMPORT_BATCH_ROWS", "500"))
CRM_IMPORT_MAX_ROWS = int(os.environ.get("CRM_IMPORT_MAX_ROWS", "50000"))
CRM_IMPORT_MAX_BYTES = int(os.environ.get("CRM_IMPORT_MAX_MB", "20")) * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "common.token_auth.ExpiringTokenAuthentication",
    ],
    # "login": the token endpoint, per address (the per-account lockout is django-axes').
    "DEFAULT_THROTTLE_RATES": {"login": os.environ.get("CRM_LOGIN_THROTTLE_RATE", "30/min")},
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "common.api.KeysetPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "销售与提成管理系统 API",
    "DESCRIPTION": "Sales CRM with a commission back office",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # One stable name per choice set (several models have a "status" or "kind" field, and one set is
    # reused under several field names): clients generated from the schema keep their type names.
    "ENUM_NAME_OVERRIDES": {
        "ApprovalKindEnum": "crm.models.approvals.ApprovalKind",
        "ApprovalStatusEnum": "crm.models.approvals.ApprovalStatus",
        "ContractStatusEnum": "crm.models.sales.ContractStatus",
        "CustomerStatusEnum": "crm.models.customers.CustomerStatus",
        "OrderStatusEnum": "crm.models.sales.OrderStatus",
        "QuoteStatusEnum": "crm.models.pipeline.QuoteStatus",
        "SettlementStatusEnum": "settlements.models.SettlementStatus",
        "CollisionRuleEnum": "partners.models.CollisionRule",
        "CommissionLineKindEnum": "commissions.models.LineKind",
        "CommissionLineStatusEnum": "commissions.models.LineStatus",
        "ImportKindEnum": "crm.models.imports.ImportKind",
        "ImportStatusEnum": "crm.models.imports.ImportStatus",
        "ImplementationStatusEnum": "crm.models.implementation_orders.ImplementationStatus",
        "ContactRoleEnum": "crm.models.customers.ContactRole",
    },
}

# One form layer: every form renders through crispy-forms with Bootstrap 5 (Tabler's base).
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
# --- Security headers (issue 17) -----------------------------------------------------------------
# Content-Security-Policy on every page: scripts only from our own static files (no inline script, so
# a stored <script> cannot run); inline style attributes stay allowed (they cannot run code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Celery -------------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "control_folder": str(BROKER_DIR / "control"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = False
# Issue 17: a task whose worker is killed mid-run is redelivered (the jobs are idempotent: safe twice).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Jobs that must finish every night; `manage.py nightly_jobs_check` and the morning task flag a miss.
CRM_NIGHTLY_JOBS = ["crm.pool_sweep", "commissions.ledger_run_open_months"]
CRM_NIGHTLY_JOB_MAX_AGE_HOURS = 26

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "crm@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Business defaults (SPEC: every number is a default an admin can change) ---------------------
# Rules that affect money or that admins tune live in database-backed policy models (see each app's
# admin); these are only the first values those policies are created with.
CRM_CUSTOMER_LIST_PAGE_SIZE = 50
# Issue 16: rows per page in a customer-page tab (contacts, orders, …).
CRM_CUSTOMER_TAB_PAGE_SIZE = 20
# Issue 16: above this many rows (PostgreSQL planner estimate) a list shows "about N" instead of counting.
CRM_LIST_ESTIMATE_ABOVE = int(os.environ.get("CRM_LIST_ESTIMATE_ABOVE", "20000"))
# Issue 16: the same for the contacts list, whose count goes through the customers (dearer per row).
CRM_CONTACT_LIST_ESTIMATE_ABOVE = int(os.environ.get("CRM_CONTACT_LIST_ESTIMATE_ABOVE", "2000"))
# Issue 16: a contacts / opportunities search reads up to this many matching ids once (its UNION), then
# picks the page and counts the total among them; more matches keep the UNION as a subquery.
CRM_LIST_SEARCH_IDS_MAX = int(os.environ.get("CRM_LIST_SEARCH_IDS_MAX", "2000"))
# Issue 16: the role menu keeps what each user may open (common.menu); a change of role shows at once, a
# change another process made to what else a policy reads (a partner link) after at most these seconds.
CRM_MENU_CACHE_SECONDS = int(os.environ.get("CRM_MENU_CACHE_SECONDS", "60"))
# Issue 16: at most this many rows in one bulk action (transfer, export of the ticked rows).
CRM_LIST_BULK_MAX = 200
# Issue 17: dates and months people type must fall in these years (inclusive).
CRM_SANE_YEARS = (2000, 2099)
# C8: words that do not name a customer; an outing registered with only these is refused.
CRM_OUTING_VAGUE_WORDS = [
    "外出",
    "见客户",
    "拜访客户",
    "拜访",
    "出去",
    "办事",
    "客户",
    "出差",
    "外勤",
    "走访",
]

# --- Issue 13: seed rules that are settings (README "Seed rules carried out") ---------------------
# 003 §4.3: a new customer is entered within a week of first contact, 10 days at most (with a reason).
CUSTOMER_ENTRY_DAYS = 7
CUSTOMER_ENTRY_MAX_DAYS = 10
# 001 第八章: reps sell only within their own industry unless a manager allows another (False: off).
CRM_INDUSTRY_RESTRICTION = True
# 002 §2 vs 003 §9.2: departments governed by the 客户部 rule book (002): a changed agreement goes to the
# customer director, then the customer support lead; every other department follows 003 §9.2.
CUSTOMER_DEPARTMENT_NAMES = ["客户部"]
# Reports (issue 14). A2 CRM-usage ranking (003 §12.4): the monthly minimums to be ranked at the top, and
# how many are named at the top and at the bottom.
REPORTS_USAGE_MIN_NEW_CUSTOMERS = 20
REPORTS_USAGE_MIN_NEW_OPPORTUNITIES = 5
REPORTS_USAGE_TOP_N = 3
# A5 monthly sales report: lines per page (keyset pages, `after=`; the Excel export has them all).
REPORTS_SALES_PAGE_LINES = 100
# Its consequences, applied by the lead rotation from the A2 standings published when a month closes (the
# 1st, reports.tasks.a2_publish): the last published month's top N are dealt to first in each round
# (前3名 … 优先分配权), and a seller at the bottom N in this many consecutive published months gets no lead
# until a month breaks the streak (连续倒数三名 … 取消分配权; 0: off). If that leaves a rule nobody, the
# normal rotation deals: a lead is never left unassigned for it.
LEAD_ROTATION_TOP_PRIORITY = True
LEAD_ROTATION_BOTTOM_STRIKES = 3
# A4 work reports (001 第五章): the daily report is due before the end of the working day, the weekly one
# on Friday (Mon=0 … Sun=6) before the end of the day, the monthly one on the month's last day. Reminders
# go out this many minutes before the due time to those who have not submitted (once per period).
REPORTS_WORKLOG_DAILY_DUE = "18:00"
REPORTS_WORKLOG_WEEKLY_DUE_WEEKDAY = 4
REPORTS_WORKLOG_WEEKLY_DUE = "18:00"
REPORTS_WORKLOG_MONTHLY_DUE = "18:00"
REPORTS_WORKLOG_REMIND_BEFORE_MINUTES = 60
# Who must write them (001: 销售人员); managers read their team's and comment.
REPORTS_WORKLOG_AUTHOR_ROLES = ["rep", "account_executive"]
REPORTS_WORKLOG_PAGE_SIZE = 20
# S4–S6: the company name in the title of the exported settlement forms (000: 圣仁谷教育集团).
COMPANY_NAME = os.environ.get("COMPANY_NAME", "圣仁谷教育集团")

# Issue 16, tasks (待办): an unfinished task is flagged to the owner's manager this many days after its
# due date (once); reminders are sent by the half-hourly job at or after each task's reminder time.
CRM_TASK_OVERDUE_FLAG_AFTER_DAYS = 1

# Issue 16, payment plans (回款计划): the owner is reminded this many days before an instalment falls
# due, and the owner and their manager this many days after it if it is still not fully received.
CRM_PAYMENT_PLAN_REMIND_BEFORE_DAYS = 3
CRM_PAYMENT_PLAN_REMIND_AFTER_DAYS = 1
# K14 rewards (000 §4.3; README "Rewards"). Sales champions: the amount per period (split between tied
# winners with common.fen.allocate) and who competes — "partner" (the seed's rule book is the partners')
# and/or "staff" (the company's own sales people).
REWARDS_CHAMPION_AMOUNTS = {"month": "300.00", "quarter": "500.00", "year": "5000.00"}
REWARDS_CHAMPION_POOLS = ["partner"]
# Partner perks, next month, stackable, expire unused (000 §4.3.1–4.3.2).
REWARDS_GUIDANCE_MONTH_MIN = "10000.00"  # free market guidance: ≥ this in the month …
REWARDS_GUIDANCE_THREE_MONTHS_MIN = "30000.00"  # … or ≥ this over three consecutive months
REWARDS_GUIDANCE_DAYS = 2
REWARDS_LECTURE_MONTH_MIN = "20000.00"  # free public lecture: ≥ this in the month …
REWARDS_LECTURE_THREE_MONTHS_MIN = "50000.00"  # … or over three months, and first in the region
# Annual targets and upgrades (000 §4.3.4–4.3.5): beating the annual target by this share …
REWARDS_UPGRADE_OVER_TARGET = "0.50"
REWARDS_STRATEGIC_DISCOUNT_MONTHS = 1
REWARDS_TRIAL_MONTHS = 6
# … the trial is made permanent when the trial months' sales reach this share of the regional strategic
# partner's annual target (six months of a twelve-month target).
REWARDS_TRIAL_TARGET_SHARE = "0.50"
REWARDS_BRANCH_PRIORITY_MONTHS = 12
# A3 (000 §4.2.2): the partner's monthly consumption analysis is due on this day of the month; the
# reminder job tells partners on these days and the regional manager the day after the due day.
REPORTS_A3_DUE_DAY = 25
REPORTS_A3_REMIND_DAYS = [22, 25]
REPORTS_A3_BEST_ITEMS = 3
