from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken, Role, User
from accounts.selectors import api_token_get, api_tokens_visible_to
from accounts.services import TOKEN_NAME_MAX_LENGTH, api_token_issue, api_token_revoke
from accounts.time_zones import effective_time_zone_name
from resolutionflow.api import FieldsBuiltOnce


class AccountRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class MeAccountSerializer(AccountRefSerializer):
    time_zone = serializers.CharField(help_text="The account's IANA time zone: the days of its analytics.")


class MeSerializer(serializers.ModelSerializer):
    account = MeAccountSerializer()
    time_zone = serializers.SerializerMethodField(
        help_text="The IANA time zone the user's pages show (their own choice, else the account's). "
                  "Timestamps in the API are UTC whatever it is.")

    class Meta:
        model = User
        fields = ["id", "email", "name", "role", "account", "time_zone"]

    def get_time_zone(self, user) -> str:
        return effective_time_zone_name(user)


class UserRefSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
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


# --- Personal API tokens (issue #11): your own; an account admin, every member's ---------------

class _Text(serializers.CharField):
    """A JSON string of at most max_length characters as sent (as escalations' TextField: DRF's
    CharField takes numbers as text and measures the stripped text)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class ApiTokenSerializer(serializers.ModelSerializer):
    prefix = serializers.CharField(source="token_key", read_only=True,
                                   help_text="The key's first characters, to tell tokens apart.")
    created_at = serializers.DateTimeField(source="created", read_only=True)
    expires_at = serializers.DateTimeField(source="expiry", read_only=True, allow_null=True,
                                           help_text="null: it does not expire.")
    last_used_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                             help_text="Updated at most once a minute; null: never used.")
    user = UserRefSerializer(read_only=True, help_text="Whose token it is.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at", "user"]


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(read_only=True, help_text="The full key, shown this once: use it as "
                                                          "`Authorization: Token <key>`.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]


class ApiTokenCreateSerializer(serializers.Serializer):
    name = _Text(max_length=TOKEN_NAME_MAX_LENGTH, help_text="What the token is for.")
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                           help_text="When it stops working (in the future); "
                                                     "absent or null: never.")


def _all_filter(request) -> bool:
    """`?all=true`: every member's tokens (account admins only, else 403); `false`/absent: your own."""
    value = request.query_params.get("all", "").strip().lower()
    if value not in ("", "true", "false"):
        raise ValidationError({"all": ["Use true or false."]})
    if value == "true" and not request.user.is_account_admin:
        raise PermissionDenied("Only account admins may list every member's tokens.")
    return value == "true"


class ApiTokenList(generics.ListAPIView):
    """Your API tokens, newest first (never their keys). `?all=true`: an account admin's view of
    every member's tokens."""

    serializer_class = ApiTokenSerializer

    @extend_schema(parameters=[OpenApiParameter("all", bool, description=(
        "true: every member's tokens (account admins only; 403 for anyone else). Default: your own."))])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ApiToken.objects.none()
        return api_tokens_visible_to(self.request.user, everyone=_all_filter(self.request))

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer})
    def post(self, request):
        if not isinstance(request.data, dict):
            raise ValidationError({"detail": "Expected a JSON object."})
        serializer = ApiTokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = api_token_issue(user=request.user, **serializer.validated_data)
        token.key = key
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)


class ApiTokenDetail(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request, token_id):
        """Revoke a token: your own, or (account admins) any member's. Its key is refused (401)
        from now on."""
        api_token_revoke(token=api_token_get(user=request.user, token_id=token_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
