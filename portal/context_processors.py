from accounts.roles import is_leader, is_office


def roles(request):
    """What the navigation may offer; the views check again."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"perms_office": False, "perms_leader": False, "unread_count": 0, "has_agency": False}
    from supervision.models import Notification

    return {
        "perms_office": is_office(user),
        "perms_leader": is_leader(user),
        # Lazy: evaluated only when a template prints it.
        "unread_count": lambda: Notification.objects.filter(recipient=user).unread().count(),
        "has_agency": lambda: user.memberships.exists(),
    }
