from django.urls import path
from rest_framework.routers import DefaultRouter

from portal.api import views

app_name = "api"


class Router(DefaultRouter):
    # One URL per resource: no ".json" twins to document, test and keep scoped.
    include_format_suffixes = False
    APIRootView = views.RootView


router = Router()
router.register("plans", views.PlanViewSet, basename="plan")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("assignments", views.AssignmentViewSet, basename="assignment")
router.register("reports", views.ReportViewSet, basename="report")

urlpatterns = [
    path("schema/", views.SchemaView.as_view(), name="schema"),
    *router.urls,
]
