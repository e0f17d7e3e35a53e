from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User


class AccountRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class MeSerializer(serializers.ModelSerializer):
    account = AccountRefSerializer()

    class Meta:
        model = User
        fields = ["id", "email", "name", "role", "account"]


class UserRefSerializer(serializers.ModelSerializer):
    """How a user appears inside other objects."""

    class Meta:
        model = User
        fields = ["id", "email", "name", "role"]


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


# --- The account directory (issue #11): any member --------------------------------------------

class DirectoryUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "name", "email", "role", "is_active"]


def _role_filter(params) -> str:
    """`?role=` one of the roles, or absent/empty (everyone); anything else is a 400."""
    value = params.get("role", "").strip()
    if value and value not in Role.values:
        raise ValidationError({"role": [f"Use one of: {', '.join(Role.values)}."]})
    return value


class UserList(generics.ListAPIView):
    """The caller's account's people, deactivated ones included (`is_active`), by name."""

    serializer_class = DirectoryUserSerializer

    @extend_schema(parameters=[OpenApiParameter("role", str, enum=Role.values,
                                                description="Only the users with this role.")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return User.objects.none()
        qs = User.objects.for_account(self.request.user.account).order_by("name", "email", "id")
        role = _role_filter(self.request.query_params)
        return qs.filter(role=role) if role else qs
