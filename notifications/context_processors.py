def bell(request):
    """Unread count for the header bell, on every page."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.account_id):
        return {}
    from notifications.models import Notification

    return {"bell_unread": Notification.objects.filter(user=user, read_at__isnull=True).count()}
