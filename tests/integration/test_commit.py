"""Issue 2, point 4: commit-aware delivery.

"Nothing arrived yet" is proven without sleeping: ``signalhooks.flush()`` waits for
every delivery accepted so far, so if a hook had handed its event over before the
commit, the request would have arrived by the time ``flush`` returns.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models.signals import post_save

import signalhooks
from signalhooks.hooks import HTTPSignalHook
from tests.helpers import decode_instance, unique_path
from tests.testapp.models import Pizza

pytestmark = pytest.mark.django_db(transaction=True)


class Rollback(Exception):
    pass


def names(requests):
    return [decode_instance(r.json()["Instance"]).object.name for r in requests]


def test_inside_atomic_nothing_is_sent_before_commit(http, connect):
    path = unique_path("atomic")
    connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza)
    with transaction.atomic():
        Pizza.objects.create(name="pending")
        assert signalhooks.flush(5)
        assert http.requests(path) == []
    assert names(http.wait_for(1, path)) == ["pending"]


def test_rolled_back_row_is_never_announced(http, connect):
    path = unique_path("rollback")
    connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza)
    with pytest.raises(Rollback), transaction.atomic():
        Pizza.objects.create(name="ghost")
        raise Rollback
    Pizza.objects.create(name="marker")  # autocommit: delivered at once
    assert signalhooks.flush(5)
    assert names(http.wait_for(1, path)) == ["marker"]
    assert not Pizza.objects.filter(name="ghost").exists()


def test_rolled_back_savepoint_is_never_announced(http, connect):
    path = unique_path("savepoint")
    connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza)
    with transaction.atomic():
        Pizza.objects.create(name="outer")
        with pytest.raises(Rollback), transaction.atomic():
            Pizza.objects.create(name="inner")
            raise Rollback
        Pizza.objects.create(name="after savepoint")
    assert signalhooks.flush(5)
    assert sorted(names(http.wait_for(2, path))) == ["after savepoint", "outer"]


def test_autocommit_delivers_at_once(http, connect):
    path = unique_path("autocommit")
    connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza)
    assert not transaction.get_connection().in_atomic_block
    Pizza.objects.create(name="now")
    # flush() only waits for accepted deliveries: the request being there proves the
    # event was handed over during save(), not deferred to some later commit.
    assert signalhooks.flush(5)
    assert names(http.requests(path)) == ["now"]


def test_commit_of_outer_atomic_releases_nested_events(http, connect):
    path = unique_path("nested")
    connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza)
    with transaction.atomic():
        with transaction.atomic():
            Pizza.objects.create(name="nested")
        assert signalhooks.flush(5)
        assert http.requests(path) == []  # savepoint released, outer still open
    assert names(http.wait_for(1, path)) == ["nested"]


@pytest.mark.django_db(transaction=True, databases=["default", "other"])
def test_the_instance_database_alias_decides_when_to_deliver(http, connect):
    path = unique_path("alias")
    connect(post_save, HTTPSignalHook(request_url=http.url(path)), Pizza)
    # A transaction on "default" does not hold back a row saved on "other"...
    with transaction.atomic(using="default"):
        Pizza.objects.using("other").create(name="other, autocommit")
        assert names(http.wait_for(1, path)) == ["other, autocommit"]
    # ...and a transaction on "other" holds back its own row until it commits.
    with transaction.atomic(using="other"):
        Pizza.objects.using("other").create(name="other, atomic")
        assert signalhooks.flush(5)
        assert len(http.requests(path)) == 1
    assert names(http.wait_for(2, path))[1] == "other, atomic"
    with pytest.raises(Rollback), transaction.atomic(using="other"):
        Pizza.objects.using("other").create(name="other, rolled back")
        raise Rollback
    assert signalhooks.flush(5)
    assert len(http.requests(path)) == 2
