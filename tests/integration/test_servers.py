"""Self-tests for ``RecordingServer``: the webhook tests are only as good as this server."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.ports import free_port
from tests.support.recording import RecordingServer


def test_records_any_method_path_query_headers_and_body(http: RecordingServer) -> None:
    response = httpx.request(
        "PATCH",
        http.url("/a/b?x=1&y=two"),
        content=b'{"k": [1, 2]}',
        headers={"X-Signature": "abc", "Content-Type": "application/json"},
    )
    assert (response.status_code, response.content) == (200, b"ok")
    [rec] = http.requests()
    assert (rec.method, rec.path, rec.query) == ("PATCH", "/a/b", {"x": "1", "y": "two"})
    assert rec.headers["x-signature"] == rec.headers["X-SIGNATURE"] == "abc"
    assert rec.json() == {"k": [1, 2]}
    assert rec.status == 200
    assert rec.responded_at is not None and rec.responded_at >= rec.received_at
    assert http.requests("/other") == []


def test_scripted_statuses_are_consumed_per_path_and_last_repeats(http: RecordingServer) -> None:
    http.behave("/flaky", statuses=[503, 503, 200])
    with httpx.Client() as client:
        codes = [client.post(http.url("/flaky")).status_code for _ in range(4)]
        assert client.post(http.url("/fine")).status_code == 200
    assert codes == [503, 503, 200, 200]
    assert [r.status for r in http.requests("/flaky")] == codes


def test_retry_after_headers_apply_per_status_step(http: RecordingServer) -> None:
    http.behave(
        "/limited",
        statuses=[(429, {"Retry-After": "0.2"}), 200],
        headers={"X-Common": "1"},
        body=b"done",
    )
    with httpx.Client() as client:
        first, second = client.post(http.url("/limited")), client.post(http.url("/limited"))
    assert first.status_code == 429
    assert first.headers["retry-after"] == "0.2" and first.headers["x-common"] == "1"
    assert second.status_code == 200 and second.content == b"done"
    assert "retry-after" not in second.headers and second.headers["x-common"] == "1"


def test_delay_holds_the_response_but_request_is_recorded_on_arrival(
    http: RecordingServer,
) -> None:
    http.behave("/slow", delay=0.4)
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        future = pool.submit(httpx.post, http.url("/slow"))
        [arrived] = http.wait_for(1, "/slow", timeout=2)
        assert arrived.responded_at is None  # wait_for returned before the delay ended
        assert future.result().status_code == 200
        assert time.monotonic() - started >= 0.4
    [done] = http.requests("/slow")
    assert done.responded_at is not None and done.responded_at - done.received_at >= 0.4
    started = time.monotonic()
    httpx.post(http.url("/fast"))
    assert time.monotonic() - started < 0.4  # the delay is per path


def test_peak_in_flight_counts_simultaneous_requests(http: RecordingServer) -> None:
    http.behave("/slow", delay=0.5)
    with ThreadPoolExecutor(10) as pool:
        futures = [pool.submit(httpx.post, http.url("/slow")) for _ in range(10)]
        http.wait_for(10, "/slow", timeout=5)
        assert [f.result().status_code for f in futures] == [200] * 10
    with httpx.Client() as client:
        for _ in range(3):
            client.post(http.url("/serial"))
    assert http.peak_in_flight("/slow") == 10
    assert http.peak_in_flight("/serial") == 1
    assert http.peak_in_flight() == 10


def test_wait_for_times_out_with_a_helpful_message(http: RecordingServer) -> None:
    httpx.get(http.url("/elsewhere"))
    with pytest.raises(AssertionError, match=r"expected 2 .* /hook .* got 0.*GET /elsewhere"):
        http.wait_for(2, "/hook", timeout=0.2)


def test_keep_alive_reuses_the_connection(http: RecordingServer) -> None:
    with httpx.Client() as client:
        client.get(http.url("/a"))
        client.get(http.url("/b"))
    httpx.get(http.url("/c"))
    a, b, c = http.requests()
    assert a.client_port == b.client_port != c.client_port


def test_localhost_url_reaches_the_same_server(http: RecordingServer) -> None:
    assert http.localhost_url("/x") == f"http://localhost:{http.port}/x"
    assert httpx.get(http.localhost_url("/x")).status_code == 200
    assert http.requests("/x")[0].headers["host"] == f"localhost:{http.port}"


def test_reset_forgets_requests_behaviours_and_peaks(http: RecordingServer) -> None:
    http.behave("/p", statuses=[500])
    assert httpx.get(http.url("/p")).status_code == 500
    http.reset()
    assert (http.requests(), http.peak_in_flight()) == ([], 0)
    assert httpx.get(http.url("/p")).status_code == 200


def test_stopped_server_and_unused_port_refuse_connections() -> None:
    with RecordingServer() as server:
        url = server.url()
        assert httpx.get(url).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(url)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{free_port()}/hook")


def test_a_stalled_path_never_answers_and_counts_in_flight_until_the_client_goes(
    http: RecordingServer,
) -> None:
    http.behave("/stalled", stall=True)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(http.url("/stalled"), timeout=0.3)
    [stalled] = http.requests("/stalled")
    assert stalled.responded_at is None
    assert http.peak_in_flight("/stalled") == 1
    # The client closed its connection: the request is no longer in flight.
    http.wait(lambda server: server.in_flight("/stalled") == 0, 5, "the request to go")


def test_down_refuses_connections_and_up_listens_on_the_same_port_again() -> None:
    with RecordingServer() as server:
        url = server.url("/x")
        server.down()
        with pytest.raises(httpx.ConnectError):
            httpx.get(url)
        server.up()
        assert httpx.get(url).status_code == 200
        assert [r.path for r in server.requests()] == ["/x"]


def test_an_answer_function_picks_each_status(http: RecordingServer) -> None:
    http.behave("/picky", answer=lambda request: 418 if request.query.get("tea") else 200)
    with httpx.Client() as client:
        codes = [client.get(http.url(f"/picky{q}")).status_code for q in ("?tea=1", "", "?tea=2")]
    assert codes == [418, 200, 418]


def test_a_chunked_body_is_recorded_whole(http: RecordingServer) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"EventId":"evt_1",'
        yield b'"more": "x"}'

    assert httpx.post(http.url("/chunked"), content=chunks()).status_code == 200
    [received] = http.requests("/chunked")
    assert received.headers["transfer-encoding"] == "chunked"
    assert received.json() == {"EventId": "evt_1", "more": "x"}
    assert received.event_id == "evt_1"


def test_event_ids_distinct_and_duplicates(http: RecordingServer) -> None:
    with httpx.Client() as client:
        for event_id in ("a", "b", "a", "a"):
            client.post(http.url(), content=b'{"EventId":"%s"}' % event_id.encode())
        client.post(http.url(), content=b"not json")
    assert http.event_ids() == ["a", "b", "a", "a", ""]
    assert http.distinct() == {"a", "b", ""}
    assert http.duplicates() == {"a": 3}
    assert http.count() == 5


def test_a_trickled_answer_comes_one_byte_at_a_time(http: RecordingServer) -> None:
    http.behave("/trickle", trickle=0.01, body=b"slow")
    started = time.monotonic()
    response = httpx.get(http.url("/trickle"))
    elapsed = time.monotonic() - started
    assert (response.status_code, response.content) == (200, b"slow")
    assert elapsed >= 0.01 * len(b"HTTP/1.1 200 OK\r\n")  # the status line alone
    [received] = http.requests("/trickle")
    assert received.responded_at is not None
