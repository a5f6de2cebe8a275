"""Profile pictures the service keeps itself: checked, squared, resized and re-encoded with
Pillow (which also drops metadata such as GPS tags), stored once by content hash."""

from __future__ import annotations

import hashlib
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotFound, ValidationError
from ..models import Picture

SIZE = 256  # shown at 36 px on the page and 20 px in email; 256 is sharp on any screen
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def picture_path(picture: Picture) -> str:
    return f"/pictures/{picture.key}.jpg"


def _square_jpeg(image: Image.Image) -> bytes:
    image = ImageOps.exif_transpose(image).convert("RGB")
    image = ImageOps.fit(image, (SIZE, SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()


def store_picture(session: Session, raw: bytes) -> Picture:
    """Validate an upload and keep it as a 256 px square JPEG; the same bytes are kept once."""
    if not raw:
        raise ValidationError("Choose a picture to upload.", field="picture")
    if len(raw) > MAX_BYTES:
        raise ValidationError("The picture is larger than 5 MB.", field="picture")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            if image.format not in FORMATS:
                raise ValidationError("Upload a JPEG, PNG, WebP or GIF picture.", field="picture")
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError("The picture has too many pixels.", field="picture")
            image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError("That file is not a picture we can read.", field="picture") from exc
    return _keep(session, _square_jpeg(image))


def _keep(session: Session, data: bytes) -> Picture:
    key = hashlib.sha256(data).hexdigest()
    picture = session.scalar(select(Picture).where(Picture.key == key))
    if picture is None:
        picture = Picture(key=key, content_type="image/jpeg", data=data, width=SIZE, height=SIZE)
        session.add(picture)
        session.flush()
    return picture


def get_picture(session: Session, key: str) -> Picture:
    if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
        raise NotFound("No such picture.")
    picture = session.scalar(select(Picture).where(Picture.key == key))
    if picture is None:
        raise NotFound("No such picture.")
    return picture
