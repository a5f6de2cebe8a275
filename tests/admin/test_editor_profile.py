"""Editors set the name and picture shown as "Curated by": the picture is uploaded, checked,
squared and resized by the service, stored by it and served with long-lived caching."""

from __future__ import annotations

import io
import re

from PIL import Image

from newsletter.editorial.updates import UpdateInput, create_update
from newsletter.models import Editor, Picture
from tests.factories import make_topic


def png(width: int, height: int, colour: str = "#336699") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def upload(as_editor, data: bytes, name: str = "Erin Editor", filename: str = "me.png"):  # type: ignore[no-untyped-def]
    return as_editor.post("/admin/profile", data={"name": name, "picture": (io.BytesIO(data), filename)},
                          content_type="multipart/form-data")


def test_uploaded_picture_is_squared_resized_and_served_with_caching(as_editor, app, db, editor):
    response = upload(as_editor, png(1200, 800))
    assert response.status_code == 302
    db.expire_all()
    url = db.get(Editor, editor.id).avatar_url
    assert re.fullmatch(r"/pictures/[0-9a-f]{64}\.jpg", url)
    served = app.test_client().get(url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(served.get_data())).size == (256, 256)
    assert "immutable" in served.headers["Cache-Control"]
    assert "max-age=31536000" in served.headers["Cache-Control"]
    again = app.test_client().get(url, headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304


def test_curated_by_uses_the_editors_name_and_picture(as_editor, app, db, editor):
    upload(as_editor, png(300, 300), name="Erin from the desk")
    db.expire_all()
    author = db.get(Editor, editor.id)
    topic = make_topic(db, "world")
    create_update(db, "world", UpdateInput(headline="World headline"), editor=author)
    db.commit()
    html = app.test_client().get("/topics/world").get_data(as_text=True)
    assert "Curated by <b>Erin from the desk</b>" in html
    assert f'<img class="avatar" src="{author.avatar_url}" alt="Picture of Erin from the desk"' in html
    assert topic.slug == "world"


def test_a_file_that_is_not_a_picture_is_refused(as_editor, db, editor):
    response = upload(as_editor, b"<svg onload=alert(1)></svg>", filename="me.svg")
    assert response.status_code == 422
    assert "not a picture we can read" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Editor, editor.id).avatar_url is None
    assert db.query(Picture).count() == 0


def test_a_picture_with_too_many_pixels_is_refused_before_decoding(as_editor, db):
    response = upload(as_editor, png(8000, 6000, "#000000"))
    assert response.status_code == 422
    assert "too many pixels" in response.get_data(as_text=True)
    assert db.query(Picture).count() == 0


def test_unknown_picture_is_a_404(app):
    client = app.test_client()
    assert client.get("/pictures/" + "0" * 64 + ".jpg").status_code == 404
    assert client.get("/pictures/nothex.jpg").status_code == 404


def test_emails_link_the_stored_picture_with_an_absolute_url():
    from newsletter.mail.edition import read_copy, render_items

    item = {"topic_slug": "world", "topic_name": "World", "headline": "H", "lede": "", "bullets": [],
            "background": [], "outlets": [], "article_count": 1, "curator_name": "Erin",
            "curator_image_url": "/pictures/" + "a" * 64 + ".jpg", "featured": None}
    rendered = render_items("Today", [item], list_name="The Briefing",
                            base_url="https://news.example.test")
    _, html = read_copy(rendered, 1, "https://p", "https://u")
    assert 'src="https://news.example.test/pictures/' + "a" * 64 + '.jpg"' in html


def test_an_editor_can_remove_their_picture(as_editor, db, editor):
    upload(as_editor, png(300, 300))
    response = as_editor.post("/admin/profile", data={"name": "Erin Editor", "remove_picture": "1"},
                              content_type="multipart/form-data")
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Editor, editor.id).avatar_url is None
