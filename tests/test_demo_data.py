"""The demo's facts carry their sources' dates and hours, so its analysis has a past."""

import re
from datetime import date

import sqlalchemy as sa

from webgis.core.extensions import db
from webgis.core.registry import layer_registry
from webgis.features import store
from webgis.features.models import Feature, Revision
from webgis.geography import cities


def first_revision_day(title: str) -> date:
    feature = next(
        f
        for f in db.session.scalars(sa.select(Feature))
        if f.title_for(layer_registry()[f.layer]) == title
    )
    first = db.session.scalar(
        sa.select(Revision)
        .where(Revision.feature_id == feature.id)
        .order_by(Revision.version)
    )
    return first.at.date()


def test_demo_revisions_are_dated_by_their_documents(demo_app):
    with demo_app.app_context():
        # a partnership by its founding date, a PAL by its document (the state of 2013)
        assert first_revision_day("Partnerstwo Polanka") == date(2008, 3, 27)
        pal = next(
            f.title_for(layer_registry()["pal"])
            for f in db.session.scalars(sa.select(Feature).filter_by(layer="pal"))
        )
        assert first_revision_day(pal) == date(2013, 12, 31)
        # Kraków's 2018 document describes December 2017
        volunteering = "MOPS Kraków – punkt ds. wolontariatu, ul. Ugorek 1"
        assert first_revision_day(volunteering) == date(2017, 12, 31)


def test_the_change_since_2013_is_what_the_documents_add(demo_app):
    with demo_app.app_context():
        krakow, wroclaw = cities.get_city("krakow"), cities.get_city("wroclaw")
        then = date(2013, 12, 31)
        # Kraków's facilities come from the 2018 document: none was on the map in 2013.
        centres = layer_registry()["day_centres"]
        assert len(store.published_at(krakow, centres, then)) == 0
        assert len(store.published_at(krakow, centres)) > 0
        # Wrocław's partnerships of 2008–2011 were all there in 2013.
        partnerships = layer_registry()["partnerships"]
        assert len(store.published_at(wroclaw, partnerships, then)) == len(
            store.published_at(wroclaw, partnerships)
        )
        assert store.published_at(wroclaw, partnerships, date(2009, 12, 31))


def test_the_finder_finds_the_documented_hours_open_on_a_weekday(demo_app):
    client = demo_app.test_client()
    # Monday 7 December 2026, noon: the volunteering office is open 11:00–18:00.
    page = client.get("/krakow/services?date=2026-12-07&time=12:00")
    titles = re.findall(r'<h3><a href="[^"]+">([^<]+)</a></h3>', page.get_data(True))
    assert "MOPS Kraków – punkt ds. wolontariatu, ul. Ugorek 1" in titles
    # On Tuesday from 9:00 only; closed at 8:00, and on Sunday.
    for when in ("date=2026-12-08&time=08:00", "date=2026-12-06&time=12:00"):
        page = client.get(f"/krakow/services?{when}").get_data(True)
        assert "Ugorek 1" not in page
