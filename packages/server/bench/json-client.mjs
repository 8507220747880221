/**
 * `jsonClient(send)`: one JSON request at a time against anything that answers Fetch requests (a
 * server on a port, or a server's in-process `fetch`). Shared by the benchmark's simulated devices
 * and the tests' secure-round driver.
 */

/**
 * @param send - `(path, init) => Promise<Response>`
 * @returns `(path, body?) => Promise<unknown>`: a GET without a body, else a POST of `body` as
 *   JSON; the parsed answer, or a rejection naming the path and status for a non-2xx answer
 */
export function jsonClient(send) {
  return async (path, body) => {
    const response = await send(
      path,
      body === undefined
        ? {}
        : {
            method: 'POST',
            body: JSON.stringify(body),
            headers: { 'content-type': 'application/json' },
          },
    );
    const text = await response.text();
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${text}`);
    return JSON.parse(text);
  };
}
