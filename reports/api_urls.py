from django.urls import path

from reports import api, consumption_api, worklog_api

app_name = "reports_api"
urlpatterns = [
    path("home/", api.HomeApi.as_view(), name="home"),
    path("funnel/", api.FunnelApi.as_view(), name="funnel"),
    path("trend/", api.TrendApi.as_view(), name="trend"),
    path("activity/", api.ActivityApi.as_view(), name="activity"),
    path("rankings/", api.RankingsApi.as_view(), name="rankings"),
    path("usage/", api.UsageApi.as_view(), name="usage"),
    path("sales/", api.SalesApi.as_view(), name="sales"),
    path("worklogs/", worklog_api.WorkReportListApi.as_view(), name="worklogs"),
    path("worklogs/prefill/", worklog_api.WorkReportPrefillApi.as_view(), name="worklog_prefill"),
    path("worklogs/team/", worklog_api.WorkReportTeamApi.as_view(), name="worklog_team"),
    path("worklogs/<int:pk>/", worklog_api.WorkReportDetailApi.as_view(), name="worklog_detail"),
    path("worklogs/<int:pk>/comment/", worklog_api.WorkReportCommentApi.as_view(), name="worklog_comment"),
    path("a3/", consumption_api.a3_list, name="a3_list"),
    path("a3/mine/", consumption_api.a3_mine, name="a3_mine"),
    path("a3/<int:pk>/", consumption_api.a3_detail, name="a3_detail"),
    path("a3/<int:pk>/comment/", consumption_api.a3_comment, name="a3_comment"),
]
