from rest_framework.routers import DefaultRouter

from crm.api import views

app_name = "crm_api"
router = DefaultRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("outings", views.OutingViewSet, basename="outing")
urlpatterns = router.urls
