"""Articles about the same event from different outlets become one story; editors split/merge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from newsletter.editorial.text import outlets_line
from newsletter.errors import ValidationError
from newsletter.feeds import grouping
from newsletter.feeds.inbox import stories
from newsletter.models import Article, Story

from .helpers import articles, feed_for, poll
from .samples import Item, rss2
from .server import Route

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
OUTLETS = ["Financial Times", "The Washington Post", "The New York Times", "The Guardian",
           "Reuters", "Le Monde"]
STORIES = {
    "engines": [
        ("EU agrees ban on new petrol and diesel cars from 2035",
         "European Union negotiators agreed to end sales of combustion engine cars by 2035."),
        ("Europe to phase out combustion engine car sales by 2035",
         "The EU deal bans new petrol and diesel car sales from 2035, with e-fuel exemptions."),
        ("EU deal: no new combustion engine cars after 2035",
         "Carmakers must sell only zero-emission cars in the European Union from 2035."),
        ("Petrol and diesel car ban in EU set for 2035 after deal",
         "Member states back the 2035 end of combustion engine car sales in Europe."),
        ("EU lawmakers seal 2035 combustion engine ban for cars",
         "The European Parliament and states agree cars must be zero emission by 2035."),
        ("L'UE interdit la vente de voitures thermiques en 2035: EU combustion car ban agreed",
         "European deal ends new petrol and diesel car sales in 2035."),
    ],
    "wildfires": [
        ("Canada wildfires force evacuation of Yellowknife",
         "Residents of Yellowknife flee as wildfires approach the northern Canadian city."),
        ("Yellowknife evacuated as Canadian wildfire nears city",
         "Authorities ordered all 20,000 residents of Yellowknife to leave ahead of wildfires."),
        ("Wildfires: Yellowknife residents ordered to evacuate",
         "Canada's Northwest Territories capital Yellowknife is evacuated as wildfires spread."),
        ("Thousands flee Yellowknife as wildfires burn in northern Canada",
         "Evacuation flights leave Yellowknife while wildfires close in."),
        ("Canadian city of Yellowknife emptied by wildfire evacuation",
         "Wildfires in the Northwest Territories forced Yellowknife's evacuation."),
        ("Yellowknife wildfire evacuation: what we know",
         "Canada evacuates Yellowknife as wildfires threaten the city."),
    ],
    "heat": [
        ("India heatwave: temperatures top 50C in Delhi",
         "A severe heatwave pushed temperatures above 50C in Delhi, straining power grids."),
        ("Delhi swelters as India heatwave breaks temperature records",
         "Record temperatures above 50C hit Delhi during India's heatwave."),
        ("Record heat in India: Delhi hits 50C in heatwave",
         "India's capital Delhi recorded temperatures over 50C as the heatwave continued."),
        ("India's deadly heatwave sends Delhi temperatures past 50C",
         "Heatwave deaths rise in India as Delhi temperatures pass 50C."),
        ("Heatwave grips India, Delhi temperatures climb to record 50C",
         "Power cuts and water shortages as India's heatwave brings record Delhi temperatures."),
        ("Delhi records hottest day as India heatwave intensifies",
         "Temperatures in Delhi exceeded 50C in India's worsening heatwave."),
    ],
}


@pytest.fixture
def six_outlets(db, topic, settings, feed_server):
    """Six feeds, one per outlet, each carrying one article about each of the three stories."""
    for k, outlet in enumerate(OUTLETS):
        feed_items = [Item(STORIES[key][k][0], f"https://outlet{k}.example/{key}",
                           guid=f"{k}-{key}", summary=STORIES[key][k][1],
                           published=T0 + timedelta(minutes=10 * k + n))
                      for n, key in enumerate(STORIES)]
        feed = feed_for(db, feed_server.add(f"/outlet{k}.xml", Route(rss2(feed_items, title=outlet))))
        poll(db, feed, settings, now=T0 + timedelta(hours=1))
    return stories(db, "climate")


def test_three_stories_from_six_outlets_group_into_three(six_outlets):
    assert len(six_outlets) == 3
    assert sorted(s.article_count for s in six_outlets) == [6, 6, 6]
    for story in six_outlets:
        assert story.outlets == OUTLETS
        keys = {a.url.rsplit("/", 1)[1] for a in story.articles}
        assert len(keys) == 1  # every article in a story is about the same event
    assert outlets_line(six_outlets[0].outlets) == \
        "Financial Times, The Washington Post, The New York Times + 3 more"


def test_grouping_is_stable_when_new_articles_arrive(db, settings, feed_server, six_outlets):
    before = {a.id: a.story_id for a in articles(db)}
    late = [Item("Yellowknife evacuation continues as wildfires rage in Canada",
                 "https://late.example/yk", guid="late-1",
                 summary="More Yellowknife residents evacuated from wildfires.",
                 published=T0 + timedelta(hours=2)),
            Item("Central bank raises interest rates again", "https://late.example/rates",
                 guid="late-2", summary="Rates rise by a quarter point.",
                 published=T0 + timedelta(hours=2))]
    feed = feed_for(db, feed_server.add("/late.xml", Route(rss2(late, title="Late Wire"))))
    poll(db, feed, settings, now=T0 + timedelta(hours=3))
    after = {a.id: a.story_id for a in articles(db)}
    assert all(after[k] == v for k, v in before.items())
    wildfire_story = next(s for s in six_outlets if "Yellowknife" in s.headline)
    by_url = {a.url: a for a in articles(db)}
    assert by_url["https://late.example/yk"].story_id == wildfire_story.id
    assert by_url["https://late.example/rates"].story_id not in {s.id for s in six_outlets}


def test_editor_splits_an_article_into_its_own_story(db, six_outlets):
    story = six_outlets[0]
    moved = story.articles[-1]
    new = grouping.split_article(db, moved.id)
    db.commit()
    db.expire_all()
    assert new.locked and db.get(Article, moved.id).story_id == new.id
    counts = sorted(s.article_count for s in stories(db, "climate"))
    assert counts == [1, 5, 6, 6]
    assert db.get(Story, story.id).locked


def test_editor_merges_two_stories(db, six_outlets):
    target, source = six_outlets[0], six_outlets[1]
    grouping.merge_stories(db, target.id, source.id)
    db.commit()
    db.expire_all()
    assert db.get(Story, source.id) is None
    assert sorted(s.article_count for s in stories(db, "climate")) == [6, 12]
    assert db.scalar(select(func.count()).select_from(Story)) == 2


def test_merging_a_story_with_itself_is_refused(db, six_outlets):
    with pytest.raises(ValidationError):
        grouping.merge_stories(db, six_outlets[0].id, six_outlets[0].id)


def test_regroup_keeps_editor_locked_stories(db, six_outlets):
    moved = six_outlets[0].articles[0]
    split = grouping.split_article(db, moved.id)
    db.commit()
    grouping.regroup(db, six_outlets[0].articles[0].topic_id)
    db.commit()
    db.expire_all()
    assert db.get(Article, moved.id).story_id == split.id
    assert sorted(s.article_count for s in stories(db, "climate")) == [1, 5, 6, 6]
