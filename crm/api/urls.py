from rest_framework.routers import DefaultRouter

from crm.api import views

app_name = "crm_api"
router = DefaultRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("outings", views.OutingViewSet, basename="outing")
router.register("org/regions", views.RegionViewSet, basename="region")
router.register("org/departments", views.DepartmentViewSet, basename="department")
router.register("org/industries", views.IndustryViewSet, basename="industry")
router.register("org/users", views.UserViewSet, basename="user")
urlpatterns = router.urls
