from django.urls import path

from settlements import views, views_tickets

app_name = "settlements"
urlpatterns = [
    path("", views.settlement_list, name="list"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("inbox/", views.inbox, name="inbox"),
    path("generate/", views.generate_view, name="generate"),
    path("payouts/", views.bulk_payout, name="bulk_payout"),
    path("tickets/", views_tickets.ticket_entry, name="tickets"),
    path("exports/", views.export_start, name="export_start"),
    path("exports/<int:pk>/", views.export_job, name="export_job"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("<int:pk>/", views.settlement_detail, name="detail"),
    path("<int:pk>/transition/", views.settlement_transition_view, name="transition"),
    path("<int:pk>/payout/", views.payout_view, name="payout"),
    path("<int:pk>/tax/", views.tax_view, name="tax"),
    path("<int:pk>/lines/<int:line_pk>/defer/", views.line_defer_view, name="line_defer"),
    path("<int:pk>/disputes/", views.dispute_create_view, name="dispute_create"),
    path("<int:pk>/disputes/<int:dispute_pk>/resolve/", views.dispute_resolve_view, name="dispute_resolve"),
    path("<int:pk>/export.xlsx", views.settlement_export_one, name="export_one"),
]
