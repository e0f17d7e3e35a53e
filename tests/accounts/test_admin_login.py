"""The admin's own login page works for signed-out visitors, and people without admin rights are
turned away with the admin's explanation, not an error (issue #10)."""

from tests.helpers import PASSWORD


def test_a_signed_out_visitor_gets_the_admin_login_page(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_a_signed_out_visitor_of_the_admin_index_is_sent_to_its_login_page(client, db):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain == [("/admin/login/?next=/admin/", 302)]
    assert response.status_code == 200


def test_a_technician_is_refused_the_admin_politely(client, acme_tech):
    client.force_login(acme_tech)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain == [("/admin/login/?next=/admin/", 302)]
    assert response.status_code == 200
    page = response.content.decode()
    assert "You are authenticated as tech@acme.test, but are not authorized to access this page" in page
    assert client.get("/admin/accounts/account/").status_code == 302


def test_an_account_admin_signs_in_through_the_admin_login_page(client, acme_admin):
    response = client.post("/admin/login/?next=/admin/", {"username": acme_admin.email, "password": PASSWORD,
                                                          "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_technician_cannot_sign_in_through_the_admin_login_page(client, acme_tech):
    response = client.post("/admin/login/", {"username": acme_tech.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "Please enter the correct email and password for a staff account" in response.content.decode()
