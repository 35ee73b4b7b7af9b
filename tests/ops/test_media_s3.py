"""Uploads in an S3-compatible bucket (HELPDESK_MEDIA_S3_BUCKET, django-storages): the settings
build the storage from the environment, and an attachment filed through the portal lands in the
bucket and downloads through the permission-checked view — moto stands in for S3."""

import json
import os
import subprocess
import sys

import boto3
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from moto import mock_aws

from tickets.models import Attachment, Ticket

BUCKET = "helpdesk-media"
S3_ENV = {
    "HELPDESK_MEDIA_S3_BUCKET": BUCKET,
    "HELPDESK_MEDIA_S3_ENDPOINT_URL": "http://minio.internal:9000",
    "HELPDESK_MEDIA_S3_REGION": "eu-west-1",
    "HELPDESK_MEDIA_S3_ACCESS_KEY": "access",
    "HELPDESK_MEDIA_S3_SECRET_KEY": "secret",
}


def _default_storage_with(env: dict[str, str]) -> dict[str, object]:
    """STORAGES["default"] as helpdesk/settings.py builds it in a fresh process."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps(settings.STORAGES['default']))"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", **env}
    for name in S3_ENV:
        if name not in env:
            environment.pop(name, None)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_the_bucket_setting_switches_uploads_to_s3_and_nothing_else_does():
    assert _default_storage_with({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    s3 = _default_storage_with(S3_ENV)
    assert s3["BACKEND"] == "storages.backends.s3.S3Storage"
    assert s3["OPTIONS"] == {
        "bucket_name": BUCKET,
        "location": "media",
        "endpoint_url": "http://minio.internal:9000",
        "region_name": "eu-west-1",
        "access_key": "access",
        "secret_key": "secret",
        "default_acl": None,
        "file_overwrite": False,
    }


@pytest.fixture
def s3_media(settings, monkeypatch):
    """The storage the settings build for AWS itself (no endpoint), on moto's S3."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        options = {"bucket_name": BUCKET, "location": "media", "region_name": "us-east-1"}
        options |= {"default_acl": None, "file_overwrite": False}
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        }
        yield boto3.client("s3", region_name="us-east-1")


@pytest.mark.django_db
def test_an_attachment_goes_to_the_bucket_and_only_its_readers_download_it(
    s3_media, requester, other_requester, agent_l1, category
):
    content = b"%PDF-1.4 the report\n" * 50
    client = Client()
    client.force_login(requester)
    filed = client.post(
        "/new/",
        {
            "title": "The report does not print",
            "description": "Attached.",
            "urgency": "medium",
            "category": category.pk,
            "attachments": SimpleUploadedFile("report.pdf", content, "application/pdf"),
        },
    )
    assert filed.status_code == 302
    ticket = Ticket.objects.get(title="The report does not print")
    attachment = Attachment.objects.get(ticket=ticket)

    stored = s3_media.get_object(Bucket=BUCKET, Key=f"media/{attachment.file.name}")
    assert stored["Body"].read() == content
    assert not (django_settings.MEDIA_ROOT / attachment.file.name).exists()
    download = f"/tickets/{ticket.pk}/files/{attachment.pk}/"
    for reader in (requester, agent_l1):
        client.force_login(reader)
        answer = client.get(download)
        assert answer.status_code == 200
        assert b"".join(answer.streaming_content) == content  # type: ignore[attr-defined]
    client.force_login(other_requester)
    assert client.get(download).status_code == 404
