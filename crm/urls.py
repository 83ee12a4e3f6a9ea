from django.urls import path

from crm.views import approvals as approval_views
from crm.views import authority as authority_views
from crm.views import contacts as contact_views
from crm.views import contracts as contract_views
from crm.views import customers as views
from crm.views import execution_orders as eo_views
from crm.views import implementation_orders as io_views
from crm.views import imports as import_views
from crm.views import leads as lead_views
from crm.views import list_export, list_tools, my_day, outings, reviews
from crm.views import opportunities as opportunity_views
from crm.views import orders as order_views
from crm.views import org as org_views
from crm.views import pool as pool_views
from crm.views import products as product_views
from crm.views import quotes as quote_views
from crm.views import rebate_payments as rebate_payment_views
from crm.views import receivables as receivable_views
from crm.views import search as search_views
from crm.views import tasks as task_views

app_name = "crm"
urlpatterns = [
    path("", my_day.my_day, name="my_day"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_create, name="customer_create"),
    path("customers/export/", views.customer_export, name="customer_export"),
    path("customers/bulk/", views.customer_bulk, name="customer_bulk"),
    # issue 16: list tools (saved filters, columns) for every list that has them
    path("lists/<slug:key>/export/", list_export.list_export, name="list_export"),
    path("lists/filters/save/", list_tools.list_filter_save, name="list_filter_save"),
    path("lists/filters/delete/", list_tools.list_filter_delete, name="list_filter_delete"),
    path("lists/columns/", list_tools.list_columns_save, name="list_columns_save"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/tabs/<slug:tab>/", views.customer_tab, name="customer_tab"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/assign/", views.customer_assign, name="customer_assign"),
    path("customers/<int:pk>/followups/new/", views.followup_create, name="followup_create"),
    path("customers/<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/", contact_views.contact_list, name="contact_list"),
    path("customers/<int:pk>/review/", reviews.customer_review, name="customer_review"),
    path("reviews/", reviews.review_queue, name="review_queue"),
    path("outings/", outings.outing_list, name="outing_list"),
    path("outings/new/", outings.outing_create, name="outing_create"),
    # pipeline (SPEC §2, §4)
    path("leads/", lead_views.lead_list, name="lead_list"),
    path("leads/new/", lead_views.lead_create, name="lead_create"),
    path("leads/import/", lead_views.lead_import, name="lead_import"),
    path("leads/bulk-assign/", lead_views.lead_bulk_assign, name="lead_bulk_assign"),
    path("imports/", import_views.import_start, name="import_start"),
    path("imports/template/", import_views.import_template, name="import_template"),
    path("imports/<int:pk>/", import_views.import_job, name="import_job"),
    path("imports/<int:pk>/report/", import_views.import_report, name="import_report"),
    path("leads/<int:pk>/", lead_views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/assign/", lead_views.lead_assign, name="lead_assign"),
    path("opportunities/", opportunity_views.opportunity_list, name="opportunity_list"),
    path("opportunities/new/", opportunity_views.opportunity_create, name="opportunity_create"),
    path("opportunities/<int:pk>/", opportunity_views.opportunity_detail, name="opportunity_detail"),
    path(
        "opportunities/<int:pk>/confirm/", opportunity_views.opportunity_confirm, name="opportunity_confirm"
    ),
    path("opportunities/<int:pk>/attach/", opportunity_views.opportunity_attach, name="opportunity_attach"),
    path(
        "opportunities/attachments/<int:pk>/",
        opportunity_views.opportunity_attachment_download,
        name="opportunity_attachment_download",
    ),
    path(
        "opportunities/<int:pk>/activity/",
        opportunity_views.opportunity_activity,
        name="opportunity_activity",
    ),
    path("approvals/", approval_views.approval_inbox, name="approval_inbox"),
    path("approvals/concessions/new/", approval_views.concession_create, name="concession_create"),
    path("rebate-payments/", rebate_payment_views.rebate_payments, name="rebate_payments"),
    path("approvals/<int:pk>/", approval_views.approval_detail, name="approval_detail"),
    path("approvals/<int:pk>/decide/", approval_views.approval_decide, name="approval_decide"),
    path(
        "approvals/centre/<slug:tab>/<int:pk>/decide/",
        approval_views.approval_centre_decide,
        name="approval_centre_decide",
    ),
    path(
        "approvals/centre/<slug:tab>/bulk/", approval_views.approval_centre_bulk, name="approval_centre_bulk"
    ),
    # issue 15: the org page (regions → departments → people), for the system administrator
    path("org/", org_views.org_overview, name="org"),
    path("org/regions/new/", org_views.org_region_edit, name="org_region_create"),
    path("org/regions/<int:pk>/", org_views.org_region_edit, name="org_region_edit"),
    path("org/departments/new/", org_views.org_department_edit, name="org_department_create"),
    path("org/departments/<int:pk>/", org_views.org_department_edit, name="org_department_edit"),
    path("org/people/new/", org_views.org_person_edit, name="org_person_create"),
    path("org/people/<int:pk>/", org_views.org_person_edit, name="org_person_edit"),
    # Q2 / issue 15: the authority matrix, edited in a form by the system administrator
    path("authority-matrix/", authority_views.authority_matrix, name="authority_matrix"),
    path("authority-matrix/new/", authority_views.authority_rule_edit, name="authority_rule_create"),
    path("authority-matrix/<int:pk>/", authority_views.authority_rule_edit, name="authority_rule_edit"),
    path("products/", product_views.product_list, name="product_list"),
    path("products/new/", product_views.product_edit, name="product_create"),
    path("products/import/", product_views.product_import, name="product_import"),
    path("products/export/", product_views.product_export, name="product_export"),
    path("products/<int:pk>/", product_views.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", product_views.product_edit, name="product_edit"),
    path("quotes/", quote_views.quote_list, name="quote_list"),
    path("quotes/new/", quote_views.quote_create, name="quote_create"),
    path("quotes/<int:pk>/", quote_views.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/print/", quote_views.quote_print, name="quote_print"),
    path("quotes/<int:pk>/transition/", quote_views.quote_transition, name="quote_transition"),
    path("contracts/", contract_views.contract_list, name="contract_list"),
    path("contracts/new/", contract_views.contract_create, name="contract_create"),
    path("contracts/<int:pk>/", contract_views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/transition/", contract_views.contract_transition, name="contract_transition"),
    path(
        "contracts/<int:pk>/payment-plan/", contract_views.contract_payment_plan, name="contract_payment_plan"
    ),
    path(
        "contracts/<int:pk>/execution-orders/new/",
        eo_views.execution_order_create,
        name="execution_order_create",
    ),
    path("execution-orders/", eo_views.execution_order_list, name="execution_order_list"),
    path("execution-orders/<int:pk>/", eo_views.execution_order_detail, name="execution_order_detail"),
    path(
        "execution-orders/<int:pk>/implementation-orders/new/",
        io_views.implementation_order_create,
        name="implementation_order_create",
    ),
    path("implementation-orders/", io_views.implementation_order_list, name="implementation_order_list"),
    path(
        "implementation-orders/<int:pk>/",
        io_views.implementation_order_detail,
        name="implementation_order_detail",
    ),
    path(
        "implementation-orders/<int:pk>/transition/",
        io_views.implementation_order_transition,
        name="implementation_order_transition",
    ),
    path(
        "implementation-items/<int:pk>/assign/",
        io_views.implementation_item_assign,
        name="implementation_item_assign",
    ),
    path("contracts/<int:contract_pk>/orders/new/", order_views.order_create, name="order_create"),
    path("orders/", order_views.order_list, name="order_list"),
    path("orders/<int:pk>/", order_views.order_detail, name="order_detail"),
    path("orders/<int:pk>/writeoff/", order_views.order_writeoff, name="order_writeoff"),
    path(
        "orders/<int:pk>/writeoffs/<int:writeoff_pk>/resolution/",
        order_views.order_writeoff_resolution,
        name="order_writeoff_resolution",
    ),
    path("orders/<int:pk>/costs/", order_views.order_line_costs, name="order_line_costs"),
    path("receivables/", receivable_views.receivable_aging, name="receivable_aging"),
    path("pool/", pool_views.pool_list, name="pool_list"),
    path("pool/<int:pk>/claim/", pool_views.pool_claim, name="pool_claim"),
    path("pool/<int:pk>/assign/", pool_views.pool_assign, name="pool_assign"),
    path("notifications/", pool_views.notification_list, name="notifications"),
    path("search/", search_views.search, name="search"),
    path("tasks/", task_views.task_list, name="task_list"),
    path("tasks/new/", task_views.task_create, name="task_create"),
    path("tasks/<int:pk>/done/", task_views.task_done, name="task_done"),
]
