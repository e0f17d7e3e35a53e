"""Manual baseline samples: recorded by account admins (web form, service, Django admin)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import User
from analytics.models import BaselineSample
from analytics.services import baseline_sample_create, baseline_sample_delete

FORM = "/analytics/escalations/baseline"


def form_data(**overrides):
    data = {"minutes": "4", "seconds": "30", "measured_on": "2025-02-03", "measured_by": "",
            "measured_by_name": "Dana Lead", "note": "T-1432, VPN", "period": "7d"}
    data.update(overrides)
    return data


def test_an_admin_records_a_sample_from_the_page(client, acme, acme_admin):
    client.force_login(acme_admin)
    response = client.post(FORM, form_data())
    assert response.status_code == 302
    assert response["Location"] == "/analytics/escalations?period=7d"
    sample = BaselineSample.objects.get()
    assert (sample.account, sample.seconds, sample.measured_on) == (acme, 270, date(2025, 2, 3))
    assert (sample.measured_by_name, sample.note, sample.recorded_by) == ("Dana Lead", "T-1432, VPN", acme_admin)


def test_a_member_can_be_the_one_who_measured(client, acme_admin, acme_senior):
    client.force_login(acme_admin)
    client.post(FORM, form_data(measured_by=str(acme_senior.pk), measured_by_name=""))
    assert BaselineSample.objects.get().measurer == "Sam Senior"


@pytest.mark.parametrize("overrides, message", [
    ({"minutes": "0", "seconds": "0"}, "A timing is at least one second."),
    ({"minutes": "481", "seconds": "0"}, "Ensure this value is less than or equal to 480."),
    ({"minutes": "480", "seconds": "1"}, "A timing is at most 8 hours."),
    ({"seconds": "75"}, "Ensure this value is less than or equal to 59."),
    ({"measured_by_name": ""}, "Say who measured it: pick a member or type a name."),
    ({"measured_on": (timezone.localdate() + timedelta(days=1)).isoformat()},
     "A measurement cannot be dated in the future."),
])
def test_bad_samples_are_refused_with_a_message(client, acme_admin, overrides, message):
    client.force_login(acme_admin)
    response = client.post(FORM, form_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BaselineSample.objects.exists()


def test_a_member_of_another_account_is_not_a_choice(client, acme_admin, globex_senior):
    client.force_login(acme_admin)
    response = client.post(FORM, form_data(measured_by=str(globex_senior.pk)))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("who", ["acme_tech", "acme_senior"])
def test_only_admins_may_record(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.post(FORM, form_data()).status_code == 403
    assert not BaselineSample.objects.exists()


def test_an_admin_deletes_a_mistyped_sample_of_their_account_only(client, acme, globex, acme_admin):
    ours = BaselineSample.objects.create(account=acme, seconds=9, measured_by_name="x")
    theirs = BaselineSample.objects.create(account=globex, seconds=9, measured_by_name="x")
    client.force_login(acme_admin)
    assert client.post(f"{FORM}/{theirs.pk}/delete").status_code == 404
    assert client.post(f"{FORM}/{ours.pk}/delete").status_code == 302
    assert list(BaselineSample.objects.all()) == [theirs]


def test_engineers_cannot_delete(client, acme, acme_senior):
    sample = BaselineSample.objects.create(account=acme, seconds=9, measured_by_name="x")
    client.force_login(acme_senior)
    assert client.post(f"{FORM}/{sample.pk}/delete").status_code == 403
    assert BaselineSample.objects.filter(pk=sample.pk).exists()


# --- The service ----------------------------------------------------------------------------------

def test_the_service_refuses_non_admins(acme_senior):
    with pytest.raises(PermissionDenied):
        baseline_sample_create(actor=acme_senior, seconds=60, measured_on=date(2025, 1, 1), measured_by_name="x")


def test_the_service_refuses_a_measurer_of_another_account(acme_admin, globex_senior):
    with pytest.raises(ValidationError) as exc:
        baseline_sample_create(actor=acme_admin, seconds=60, measured_on=date(2025, 1, 1), measured_by=globex_senior)
    assert exc.value.message_dict == {"measured_by": ["Choose a member of this account."]}


def test_the_service_bounds_the_seconds(acme_admin):
    for bad in (0, 8 * 3600 + 1):
        with pytest.raises(ValidationError):
            baseline_sample_create(actor=acme_admin, seconds=bad, measured_on=date(2025, 1, 1), measured_by_name="x")


def test_deleting_another_accounts_sample_is_not_found(acme_admin, globex):
    sample = BaselineSample.objects.create(account=globex, seconds=9, measured_by_name="x")
    with pytest.raises(BaselineSample.DoesNotExist):
        baseline_sample_delete(actor=acme_admin, sample_id=sample.pk)


# --- Django admin (scoped) ------------------------------------------------------------------------

ADMIN = "/admin/analytics/baselinesample/"


def test_account_admins_see_only_their_samples_in_django_admin(client, acme, globex, acme_admin):
    BaselineSample.objects.create(account=acme, seconds=111, measured_by_name="Acme Annie")
    other = BaselineSample.objects.create(account=globex, seconds=222, measured_by_name="Globex Gary")
    client.force_login(acme_admin)
    listing = client.get(ADMIN).content.decode()
    assert "Acme Annie" in listing and "Globex Gary" not in listing
    response = client.get(f"{ADMIN}{other.pk}/change/")
    assert response.status_code == 302  # Django admin's "does not exist" redirect, never the object
    assert response["Location"] == "/admin/"


def test_an_account_admin_adds_a_sample_in_django_admin_to_their_account(client, acme, globex, acme_admin):
    client.force_login(acme_admin)
    response = client.post(f"{ADMIN}add/", {"seconds": "300", "measured_on": "2025-02-03", "measured_by": "",
                                            "measured_by_name": "Dana", "note": "", "account": str(globex.pk)})
    assert response.status_code == 302, response.content.decode()[:2000]
    sample = BaselineSample.objects.get()
    assert (sample.account, sample.recorded_by, sample.seconds) == (acme, acme_admin, 300)


def test_engineers_have_no_django_admin(client, acme_senior):
    client.force_login(acme_senior)
    assert client.get(ADMIN).status_code == 302  # to the admin login


def test_operators_see_every_accounts_samples(client, acme, globex):
    BaselineSample.objects.create(account=acme, seconds=111, measured_by_name="Acme Annie")
    BaselineSample.objects.create(account=globex, seconds=222, measured_by_name="Globex Gary")
    client.force_login(User.objects.create_superuser("ops@platform.test", "pw-operator-1"))
    listing = client.get(ADMIN).content.decode()
    assert "Acme Annie" in listing and "Globex Gary" in listing
