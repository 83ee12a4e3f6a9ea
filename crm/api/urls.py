from django.urls import path
from rest_framework.routers import DefaultRouter

from crm.api import (
    approvals,
    contacts,
    contracts,
    imports,
    leads,
    opportunities,
    orders,
    products,
    quotes,
    rebate_payments,
    views,
)
from crm.api import execution_orders as eo_api
from crm.api import implementation_orders as io_api
from crm.api import pool as pool_views
from crm.api.search import SearchView
from crm.api.tasks import TaskViewSet

app_name = "crm_api"
router = DefaultRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("contacts", contacts.ContactViewSet, basename="contact")
router.register("outings", views.OutingViewSet, basename="outing")
router.register("leads", leads.LeadViewSet, basename="lead")
router.register("imports", imports.ImportJobViewSet, basename="import-job")
router.register("opportunities", opportunities.OpportunityViewSet, basename="opportunity")
router.register("approvals", approvals.ApprovalViewSet, basename="approval")
router.register("concessions", approvals.ConcessionViewSet, basename="concession")
router.register("rebate-payments", rebate_payments.RebatePaymentViewSet, basename="rebate-payment")
router.register("product-categories", products.ProductCategoryViewSet, basename="product-category")
router.register("products", products.ProductViewSet, basename="product")
router.register("quotes", quotes.QuoteViewSet, basename="quote")
router.register("contracts", contracts.ContractViewSet, basename="contract")
router.register("execution-orders", eo_api.ExecutionOrderViewSet, basename="execution-order")
router.register("implementation-orders", io_api.ImplementationOrderViewSet, basename="implementation-order")
router.register("orders", orders.OrderViewSet, basename="order")
router.register("receivables", orders.ReceivableViewSet, basename="receivable")
router.register("pool", pool_views.PoolViewSet, basename="pool")
router.register("tasks", TaskViewSet, basename="task")
router.register("notifications", pool_views.NotificationViewSet, basename="notification")
router.register("org/regions", views.RegionViewSet, basename="region")
router.register("org/departments", views.DepartmentViewSet, basename="department")
router.register("org/industries", views.IndustryViewSet, basename="industry")
router.register("org/users", views.UserViewSet, basename="user")
urlpatterns = [path("search/", SearchView.as_view(), name="search"), *router.urls]
