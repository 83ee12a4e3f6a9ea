from django.urls import path

from reports import consumption_views, views, worklog_views

app_name = "reports"
urlpatterns = [
    path("funnel/", views.funnel, name="funnel"),
    path("trend/", views.trend, name="trend"),
    path("activity/", views.activity, name="activity"),
    path("rankings/", views.rankings, name="rankings"),
    path("usage/", views.usage, name="usage"),
    path("sales/", views.sales, name="sales"),
    path("sales.xlsx", views.sales_export, name="sales_export"),
    path("chart.xlsx", views.chart_export, name="chart_export"),
    path("worklogs/", worklog_views.worklog_list, name="worklogs"),
    path("worklogs/write/", worklog_views.worklog_write, name="worklog_write"),
    path("worklogs/team/", worklog_views.worklog_team, name="worklog_team"),
    path("worklogs/<int:pk>/", worklog_views.worklog_detail, name="worklog_detail"),
    path("worklogs/<int:pk>/comment/", worklog_views.worklog_comment_view, name="worklog_comment"),
    path("a3/", consumption_views.a3_list, name="a3_list"),
    path("a3/mine/", consumption_views.a3_mine, name="a3_mine"),
    path("a3/<int:pk>/", consumption_views.a3_detail, name="a3_detail"),
]
