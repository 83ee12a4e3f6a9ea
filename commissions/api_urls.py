from django.urls import path
from rest_framework.routers import DefaultRouter

from commissions import api

app_name = "commissions_api"
router = DefaultRouter()
router.register("lines", api.CommissionLineViewSet, basename="line")
urlpatterns = [
    path("statement/", api.statement, name="statement"),
    path("what-if/", api.what_if, name="what_if"),
    path("my-plan/", api.my_plan, name="my_plan"),
    path("my-plan/objections/", api.plan_objection, name="plan_objection"),
    *router.urls,
]
