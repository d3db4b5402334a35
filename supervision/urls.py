from django.urls import path

from supervision import dashboard, exports, scoring
from supervision.views import acknowledgements, notifications, plans, queues, reports, tasks, todo, workspace

app_name = "supervision"

urlpatterns = [
    path("todo/", todo.todo, name="todo"),
    path("workspace/", workspace.workspace, name="workspace"),
    path("workspace/acknowledge/<int:pk>/", workspace.acknowledge, name="acknowledge"),
    path("workspace/acknowledge/", acknowledgements.acknowledge_many, name="acknowledge_many"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task"),
    path("tasks/<int:pk>/comment/", tasks.comment, name="comment"),
    path("tasks/<int:pk>/edit/", tasks.edit_task, name="edit_task"),
    path("tasks/<int:pk>/close/", tasks.apply_to_close, name="apply_to_close"),
    path("closing/<int:pk>/decide/", tasks.decide, {"kind": "closing"}, name="decide_closing"),
    path("reports/<int:assignment_pk>/<int:period_pk>/", reports.report, name="report"),
    path("reports/<int:pk>/review/", reports.review_report, name="review_report"),
    path("attachments/<int:pk>/", reports.attachment, name="attachment"),
    path("attachments/<int:pk>/remove/", reports.remove_attachment, name="remove_attachment"),
    path("review/", queues.review_queue, name="review_queue"),
    path("review/closing/", queues.closing_queue, name="closing_queue"),
    path("review/acknowledgements/", acknowledgements.acknowledgements, name="acknowledgements"),
    path("review/acknowledgements/urge/", acknowledgements.urge_acknowledge, name="urge_acknowledge"),
    path("plans/<int:pk>/cycle/", plans.plan_cycle, name="plan_cycle"),
    path("plans/<int:pk>/head-approval/", plans.plan_head_approval, name="plan_head_approval"),
    path("reports/<int:assignment_pk>/<int:period_pk>/extension/", reports.request_extension, name="request_extension"),
    path("review/extensions/", queues.extension_queue, name="extension_queue"),
    path("extensions/<int:pk>/decide/", tasks.decide, {"kind": "extension"}, name="decide_extension"),
    path("review/overdue/", queues.overdue_list, name="overdue_list"),
    path("review/overdue.xlsx", exports.overdue_export, name="overdue_export"),
    path("urge/", queues.urge, name="urge"),
    path("dashboard/", dashboard.overview, name="overview"),
    path("dashboard/plans/<int:pk>/", dashboard.plan_dashboard, name="dashboard"),
    path("dashboard/plans/<int:pk>/reports/", dashboard.dashboard_reports, name="dashboard_reports"),
    path("dashboard/plans/<int:pk>/agencies.xlsx", exports.dashboard_export, name="dashboard_export"),
    path("dashboard/plans/<int:pk>/bulletin.docx", exports.bulletin, name="bulletin"),
    path("dashboard/plans/<int:pk>/scores/", scoring.plan_scores, name="plan_scores"),
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/<int:pk>/open/", notifications.open_notification, name="open_notification"),
]

# 督办事项: items from no plan (supervision/views/items.py)
from supervision.views import items  # noqa: E402  (appended with the items' URLs)

urlpatterns += [
    path("items/", items.item_list, name="items"),
    path("items/new/", items.register_item, name="register_item"),
    path("items/<int:pk>/", items.item_detail, name="item"),
    path("items/<int:pk>/notice.docx", items.item_notice, name="item_notice"),
    path("items/<int:pk>/feedback.docx", items.item_feedback, name="item_feedback"),
    path("items/basis/<int:pk>/", items.item_attachment, name="item_attachment"),
]
