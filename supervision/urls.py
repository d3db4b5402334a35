from django.urls import path

from supervision import views

app_name = "supervision"

urlpatterns = [
    path("workspace/", views.workspace, name="workspace"),
    path("workspace/acknowledge/<int:pk>/", views.acknowledge, name="acknowledge"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/comment/", views.comment, name="comment"),
    path("tasks/<int:pk>/close/", views.apply_to_close, name="apply_to_close"),
    path("closing/<int:pk>/decide/", views.decide_closing, name="decide_closing"),
    path("reports/<int:assignment_pk>/<int:period_pk>/", views.report, name="report"),
    path("reports/<int:pk>/review/", views.review_report, name="review_report"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("attachments/<int:pk>/remove/", views.remove_attachment, name="remove_attachment"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/closing/", views.closing_queue, name="closing_queue"),
    path("review/acknowledgements/", views.acknowledgements, name="acknowledgements"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/open/", views.open_notification, name="open_notification"),
]
