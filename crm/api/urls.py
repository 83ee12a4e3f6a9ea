from rest_framework.routers import DefaultRouter

from crm.api import pool as pool_views
from crm.api import views

app_name = "crm_api"
router = DefaultRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("outings", views.OutingViewSet, basename="outing")
router.register("pool", pool_views.PoolViewSet, basename="pool")
router.register("notifications", pool_views.NotificationViewSet, basename="notification")
urlpatterns = router.urls
