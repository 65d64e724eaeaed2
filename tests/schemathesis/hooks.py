"""Schemathesis hooks for tests/schemathesis/run.sh (loaded through
SCHEMATHESIS_HOOKS).

* `POST /v1/pos/sales` takes NDJSON (one JSON sale per line): schemathesis
  has no serializer for `application/x-ndjson` / `application/jsonl`, so
  one is registered here (a list is one line per item, anything else one
  line).
* Read-your-writes (`wait_for_position` with `timeout_ms`) and the feed's
  long poll (`wait_ms`) wait on purpose, up to 30 s, for a position that
  may never come: the waits are capped at 200 ms so a generated position
  beyond the log's head answers its documented `503 view_not_caught_up`
  (or an empty page) quickly instead of exhausting the request timeout.
  A malformed value (a string, a negative number) is left as generated:
  the server must answer it `400 invalid_query`.
* `/v1/events/stream` never ends: it is read for a second (up to 20
  events), not for the whole request timeout.
* `DELETE /v1/tokens/{name}` revokes a token: a name of the demo tokens
  the runs authenticate with (`demo-...`, e.g. found in a `GET /v1/tokens`
  answer) is changed to one no token has, so one role's run never revokes
  the token of the next (the route still answers its documented 404).
"""

import json

import schemathesis

MAX_WAIT_MS = 200
STREAM_READ_SECONDS = 1.0


@schemathesis.serializer("application/x-ndjson", "application/jsonl")
def ndjson(ctx, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    items = value if isinstance(value, list) else [value]
    return "".join(json.dumps(item) + "\n" for item in items).encode("utf-8")


def _is_long_wait(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > MAX_WAIT_MS
    return isinstance(value, str) and value.isdigit() and int(value) > MAX_WAIT_MS


@schemathesis.hook
def before_call(ctx, case, kwargs):
    # Every phase (the coverage phase's cases do not go through the
    # generation hooks): the last word on the query before it is sent.
    if case.operation.path == "/v1/events/stream" and isinstance(kwargs, dict):
        # The stream never ends: schemathesis reads it until 20 events or
        # the timeout; a second is plenty for the events already in the log.
        kwargs["timeout"] = STREAM_READ_SECONDS
    if case.operation.path == "/v1/tokens/{name}" and isinstance(case.path_parameters, dict):
        name = case.path_parameters.get("name")
        if isinstance(name, str) and name.startswith("demo-"):
            case.path_parameters["name"] = "not-" + name
    query = case.query
    if not isinstance(query, dict):
        return
    for name in ("timeout_ms", "wait_ms"):
        if _is_long_wait(query.get(name)):
            query[name] = MAX_WAIT_MS
    if "wait_for_position" in query and "timeout_ms" not in query:
        query["timeout_ms"] = MAX_WAIT_MS
