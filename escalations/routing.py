from django.urls import path

from escalations.consumers import EscalationConsumer

websocket_urlpatterns = [path("ws/escalations/", EscalationConsumer.as_asgi())]
