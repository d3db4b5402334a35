"""What a report (or an item's basis) may carry: checked before anything is stored, and served
only by a view that has checked who may read it (:func:`serve`)."""

from __future__ import annotations

from pathlib import PurePath
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

# Extension → the bytes such a file starts with (None: plain text, no signature to check).
# The signature check stops a renamed executable or HTML page from being served as a "PDF".
_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
ALLOWED = {
    ".pdf": (b"%PDF-",),
    ".docx": _ZIP,
    ".xlsx": _ZIP,
    ".pptx": _ZIP,
    ".odt": _ZIP,
    ".ods": _ZIP,
    ".ofd": _ZIP,
    ".doc": _OLE,
    ".xls": _OLE,
    ".wps": _OLE,
    ".et": _OLE,
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".txt": None,
}
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}


def check_upload(upload) -> str:
    """Validate an uploaded file; return the content type it will be served with."""
    name = PurePath(upload.name).name
    suffix = PurePath(name).suffix.lower()
    if suffix not in ALLOWED:
        raise ValidationError(
            _("“%(name)s”: files of this type cannot be attached. Allowed: %(types)s.")
            % {"name": name, "types": " ".join(sorted(ALLOWED))}
        )
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is %(size)s; an attachment may be at most %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    if upload.size == 0:
        raise ValidationError(
            _("The attachment “%(name)s” is an empty file (0 bytes); choose it again.") % {"name": name}
        )
    signatures = ALLOWED[suffix]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if signatures is not None and not head.startswith(signatures):
        raise ValidationError(
            _("“%(name)s” is not a real %(type)s file (its content does not match its name).")
            % {"name": name, "type": suffix[1:].upper()}
        )
    # Office files are always served as a download of an opaque type: never rendered inline.
    return CONTENT_TYPES.get(suffix, "application/octet-stream")


def serve(stored) -> HttpResponse:
    """A stored file (an ``Attachment``, an ``ItemAttachment``) as a download under its own name.
    Behind nginx (ATTACHMENT_ACCEL_REDIRECT) the view has decided who may read it and nginx sends
    the file from an internal location."""
    if settings.ATTACHMENT_ACCEL_REDIRECT:
        response = HttpResponse(content_type=stored.content_type)
        response["X-Accel-Redirect"] = settings.ATTACHMENT_ACCEL_REDIRECT + quote(stored.file.name)
    else:
        response = FileResponse(stored.file.open("rb"), content_type=stored.content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=stored.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def check_all(uploads) -> list[tuple]:
    """Each upload with its content type, once every one has passed :func:`check_upload`; the
    first refusal is an ActionError worded for the clerk, and nothing is stored."""
    from supervision.errors import ActionError

    checked = []
    for upload in uploads:
        try:
            checked.append((upload, check_upload(upload)))
        except ValidationError as error:
            raise ActionError(" ".join(error.messages)) from error
    return checked
