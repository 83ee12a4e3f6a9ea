from django.urls import path
from rest_framework.routers import DefaultRouter

from commissions import api, reward_api

app_name = "commissions_api"
router = DefaultRouter()
router.register("lines", api.CommissionLineViewSet, basename="line")
router.register("perks", reward_api.PerkViewSet, basename="perk")
urlpatterns = [
    path("statement/", api.statement, name="statement"),
    path("what-if/", api.what_if, name="what_if"),
    path("my-plan/", api.my_plan, name="my_plan"),
    path("my-plan/objections/", api.plan_objection, name="plan_objection"),
    path("plans/", api.plans, name="plans"),
    path("plans/<int:pk>/publish/", api.plan_publish_request, name="plan_publish"),
    path("champions/", reward_api.ChampionList.as_view(), name="champions"),
    path("upgrade-review/", reward_api.upgrade_review_api, name="upgrade_review"),
    *router.urls,
]
