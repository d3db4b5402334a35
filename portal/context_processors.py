from agencies.actors import actor_of


def roles(request):
    """What the navigation may offer (the views check again): the request's actor, built once."""
    user = getattr(request, "user", None)
    actor = actor_of(user)
    if user is None or not user.is_authenticated:
        return {"actor": actor, "perms_office": False, "perms_leader": False, "unread_count": 0, "has_agency": False}
    from supervision.models import Notification

    return {
        "actor": actor,
        "perms_office": actor.is_office,
        "perms_leader": actor.is_leader,
        # Lazy: evaluated only when a template prints it.
        "unread_count": lambda: Notification.objects.filter(recipient=user).unread().count(),
        "has_agency": bool(actor.roles),
        # 我的待办's badge: the reports the user's agencies owe (and how many are overdue), lazily.
        "todo_counts": lambda: _todo_counts(user) if actor.roles else {},
    }


def _todo_counts(user) -> dict[str, int]:
    from django.utils import timezone

    from supervision.workspace import todo_counts

    return todo_counts(user, timezone.localdate())
