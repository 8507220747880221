/**
 * The thin node:http adapter: turns an `IncomingMessage` into a Fetch `Request` whose body streams
 * from the socket (nothing is buffered before the handler asks for it, so the upload size cap holds
 * before the body is read), and writes the `Response` back.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A pull-based stream of the request body. `cancel` stops reading (the handler refused the body);
 * the socket is then closed after the answer (`Connection: close`), never read to the end.
 * @param req - the incoming request
 * @returns the body stream
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let ended = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.on('data', (chunk: Buffer) => {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.once('end', () => {
          ended = true;
          controller.close();
        });
        req.once('close', () => {
          if (!ended) controller.error(new Error('request aborted'));
        });
        req.once('error', (error) => controller.error(error));
        req.pause();
      },
      pull() {
        req.resume();
      },
      cancel() {
        ended = true;
        req.pause();
        req.removeAllListeners('data');
      },
    },
    { highWaterMark: 16 },
  );
}

/**
 * Builds the Fetch request of an incoming request.
 * @param req - the incoming request
 * @param origin - origin to resolve the path against (the Host header is not trusted)
 * @returns the request
 */
export function toFetchRequest(req: IncomingMessage, origin: string): Request {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
  }
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
  return new Request(new URL(req.url ?? '/', origin), {
    method,
    headers,
    ...(hasBody ? { body: bodyStream(req), duplex: 'half' } : {}),
  } as RequestInit);
}

/**
 * Writes a Fetch response to a node:http response, streaming its body.
 * @param response - what the handler answered
 * @param res - the node response
 * @returns when the response is written
 */
export async function writeFetchResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  if (headers.connection === 'close') res.shouldKeepAlive = false;
  res.writeHead(response.status, headers);
  if (response.body === null) {
    res.end();
    return;
  }
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (!res.write(chunk)) await new Promise<void>((resolve) => res.once('drain', resolve));
  }
  res.end();
}
