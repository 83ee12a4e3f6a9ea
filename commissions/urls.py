from django.urls import path

from commissions import views, views_plans

app_name = "commissions"
urlpatterns = [
    path("", views.statement, name="statement"),
    path("lines/<int:pk>/", views.line_detail, name="line_detail"),
    path("what-if/", views.what_if, name="what_if"),
    path("forfeit/", views.forfeit, name="forfeit"),
    path("my-plan/", views.my_plan, name="my_plan"),
    # issue 15: commission plans in a form (finance and the administrator)
    path("plans/", views_plans.plan_list, name="plan_list"),
    path("plans/<int:pk>/", views_plans.plan_edit, name="plan_edit"),
]
