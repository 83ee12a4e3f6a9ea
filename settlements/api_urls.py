from rest_framework.routers import DefaultRouter

from settlements import api

app_name = "settlements_api"
router = DefaultRouter()
router.register("settlements", api.SettlementViewSet, basename="settlement")
router.register("disputes", api.DisputeViewSet, basename="dispute")
router.register("exports", api.ExportJobViewSet, basename="export")
urlpatterns = router.urls
