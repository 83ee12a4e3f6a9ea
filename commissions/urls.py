from django.urls import path

from commissions import reward_views, views, views_plans

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
    path("rewards/champions/", reward_views.champion_list, name="champion_list"),
    path("rewards/perks/", reward_views.perk_list, name="perk_list"),
    path("rewards/perks/<int:pk>/", reward_views.perk_detail, name="perk_detail"),
    path("rewards/review/", reward_views.upgrade_review_page, name="upgrade_review"),
]
