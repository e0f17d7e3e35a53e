from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for EMAIL and print it (last line). It is stored hashed: copy it now."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="CLI",
                            help="What the token is for, as its owner sees it on the API tokens page (default: CLI).")

    def handle(self, *args, email, name, **options):
        try:
            user = User.objects.get(email__iexact=email.strip())
        except User.DoesNotExist:
            raise CommandError(f"No user with email {email!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {email!r} is inactive.")
        try:
            key = api_token_create(user=user, name=name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stderr.write(f"API token for {user.email} (shown once; use 'Authorization: Token <key>'):")
        self.stdout.write(key)
