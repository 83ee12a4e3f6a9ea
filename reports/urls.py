from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("funnel/", views.funnel, name="funnel"),
    path("trend/", views.trend, name="trend"),
    path("activity/", views.activity, name="activity"),
    path("rankings/", views.rankings, name="rankings"),
    path("usage/", views.usage, name="usage"),
    path("sales/", views.sales, name="sales"),
    path("sales.xlsx", views.sales_export, name="sales_export"),
]
