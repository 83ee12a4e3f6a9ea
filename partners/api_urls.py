from django.urls import path
from rest_framework.routers import DefaultRouter

from partners import api

app_name = "partners_api"
router = DefaultRouter()
router.register("collisions", api.CollisionViewSet, basename="collision")
router.register("partners", api.PartnerViewSet, basename="partner")
router.register("portal/customers", api.PortalCustomerViewSet, basename="portal-customer")
router.register("portal/referrals", api.PortalReferralViewSet, basename="portal-referral")
router.register("portal/orders", api.PortalOrderViewSet, basename="portal-order")
urlpatterns = [
    path("collisions/report/", api.ReportView.as_view(), name="collision-report"),
    path("referrals/", api.ReferralView.as_view(), name="referral-create"),
    path("orders/<int:pk>/credit/", api.order_credit, name="order-credit"),
    path("customers/<int:pk>/executive/", api.ExecutiveView.as_view(), name="customer-executive"),
    *router.urls,
]
