from django.urls import path

from supervision import dashboard, exports, scoring, views

app_name = "supervision"

urlpatterns = [
    path("workspace/", views.workspace, name="workspace"),
    path("workspace/acknowledge/<int:pk>/", views.acknowledge, name="acknowledge"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/comment/", views.comment, name="comment"),
    path("tasks/<int:pk>/close/", views.apply_to_close, name="apply_to_close"),
    path("closing/<int:pk>/decide/", views.decide, {"kind": "closing"}, name="decide_closing"),
    path("reports/<int:assignment_pk>/<int:period_pk>/", views.report, name="report"),
    path("reports/<int:pk>/review/", views.review_report, name="review_report"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("attachments/<int:pk>/remove/", views.remove_attachment, name="remove_attachment"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/closing/", views.closing_queue, name="closing_queue"),
    path("review/acknowledgements/", views.acknowledgements, name="acknowledgements"),
    path("plans/<int:pk>/cycle/", views.plan_cycle, name="plan_cycle"),
    path("reports/<int:assignment_pk>/<int:period_pk>/extension/", views.request_extension, name="request_extension"),
    path("review/extensions/", views.extension_queue, name="extension_queue"),
    path("extensions/<int:pk>/decide/", views.decide, {"kind": "extension"}, name="decide_extension"),
    path("review/overdue/", views.overdue_list, name="overdue_list"),
    path("review/overdue.xlsx", exports.overdue_export, name="overdue_export"),
    path("urge/", views.urge, name="urge"),
    path("dashboard/", dashboard.overview, name="overview"),
    path("dashboard/plans/<int:pk>/", dashboard.plan_dashboard, name="dashboard"),
    path("dashboard/plans/<int:pk>/reports/", dashboard.dashboard_reports, name="dashboard_reports"),
    path("dashboard/plans/<int:pk>/agencies.xlsx", exports.dashboard_export, name="dashboard_export"),
    path("dashboard/plans/<int:pk>/bulletin.docx", exports.bulletin, name="bulletin"),
    path("dashboard/plans/<int:pk>/scores/", scoring.plan_scores, name="plan_scores"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/open/", views.open_notification, name="open_notification"),
]
