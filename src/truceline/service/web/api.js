// Talking to the Truceline API: the token, JSON requests with canonical errors, paging,
// and the live feed read with fetch (EventSource cannot send the Authorization header).

const TOKEN_KEY = "truceline.token";

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** An error answer of the API, with its canonical body (status, code, message, errors). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `the service answered ${status}`);
    this.status = status;
    this.code = body && body.code ? body.code : "error";
    this.errors = body && Array.isArray(body.errors) ? body.errors : [];
  }
}

function headers(extra) {
  const found = { ...extra };
  const token = getToken();
  if (token) found.Authorization = `Bearer ${token}`;
  return found;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

async function failure(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = { message: `the service answered ${response.status} ${response.statusText}` };
  }
  return new ApiError(response.status, body);
}

/** GET or POST a JSON resource under /api; throws ApiError on an error answer. */
export async function api(path, { method = "GET", params, body } = {}) {
  const init = { method, headers: headers({ Accept: "application/json" }) };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api${path}${query(params)}`, init);
  } catch (error) {
    throw new ApiError(0, { code: "network", message: `the service cannot be reached (${error.message}); check the connection and try again` });
  }
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** A file of the API (e.g. a CAP XML document), as a Blob. */
export async function apiBlob(path) {
  const response = await fetch(`/api${path}`, { headers: headers({}) });
  if (!response.ok) throw await failure(response);
  return response.blob();
}

/** Every item of a paged list, following next_cursor, up to `max` items. */
export async function apiAll(path, params, max = 5000) {
  const items = [];
  let cursor = null;
  do {
    const page = await api(path, { params: { ...params, limit: 1000, cursor } });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return { items: items.slice(0, max), truncated: Boolean(cursor) || items.length > max };
}

/**
 * Follow the live feed: server-sent events read from a fetch stream, with the token in the
 * Authorization header. Reconnects after the server's `retry` delay, resuming with
 * Last-Event-ID so no event is missed (a `reset` event says when some were).
 * Returns a function that stops it.
 */
export function followFeed({ onEvent, onStatus }) {
  const controller = new AbortController();
  let lastId = null;
  let retryMs = 3000;

  function dispatch(block) {
    if (block.data.length === 0) return;
    if (block.id !== undefined) lastId = block.id;
    let data = null;
    try {
      data = JSON.parse(block.data.join("\n"));
    } catch {
      return;
    }
    onEvent({ id: block.id, type: block.event || "message", data });
  }

  async function readOnce() {
    const extra = { Accept: "text/event-stream" };
    if (lastId) extra["Last-Event-ID"] = lastId;
    const response = await fetch("/api/feed", {
      headers: headers(extra),
      signal: controller.signal,
      cache: "no-store",
    });
    if (!response.ok) throw await failure(response);
    onStatus("live");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let block = { data: [] };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop();
      for (const line of lines) {
        if (line === "") {
          dispatch(block);
          block = { data: [] };
        } else if (!line.startsWith(":")) {
          const colon = line.indexOf(":");
          const name = colon < 0 ? line : line.slice(0, colon);
          let value = colon < 0 ? "" : line.slice(colon + 1);
          if (value.startsWith(" ")) value = value.slice(1);
          if (name === "data") block.data.push(value);
          else if (name === "event") block.event = value;
          else if (name === "id") block.id = value;
          else if (name === "retry" && /^\d+$/.test(value)) retryMs = Number(value);
        }
      }
    }
  }

  (async () => {
    while (!controller.signal.aborted) {
      onStatus("connecting");
      try {
        await readOnce();
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) {
          onStatus("refused");
          return;
        }
      }
      if (controller.signal.aborted) return;
      onStatus("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  })();

  return () => controller.abort();
}
