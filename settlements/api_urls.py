from rest_framework.routers import DefaultRouter

from settlements import api, api_tickets

app_name = "settlements_api"
router = DefaultRouter()
router.register("settlements", api.SettlementViewSet, basename="settlement")
router.register("disputes", api.DisputeViewSet, basename="dispute")
router.register("exports", api.ExportJobViewSet, basename="export")
router.register("ticket-stock", api_tickets.TicketStockViewSet, basename="ticket-stock")
router.register("ticket-sales", api_tickets.TicketSaleViewSet, basename="ticket-sale")
urlpatterns = router.urls
