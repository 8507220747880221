/**
 * Public endpoints of the distributed mode's secure aggregation (SecAgg+): each relays one message
 * between a device and the round's coordinator. Bodies are parsed strictly by `@privads/secagg`
 * before the coordinator sees them, so a malformed or out-of-phase message is refused (4xx) and
 * changes nothing. The masked input itself is an ordinary update upload (`postUpdate`).
 */
import { FieldReader, NONCE_PATTERN, SECAGG_ERROR_CODES, parseJsonBytes } from '@privads/protocol';
import {
  SECAGG_DEFAULT_LIMITS,
  parseKeysMessage,
  parseRevealMessage,
  parseSharesMessage,
} from '@privads/secagg';

import type { AppResponse } from '../http/app-response.js';
import { readCappedBody } from '../http/body.js';
import { jsonResponse } from '../http/responses.js';
import type { SecureRound } from '../rounds/secure-round.js';
import type { AppContext, Handler, RequestContext } from './context.js';
import { pathInteger, takeToken } from './public.js';

/** Largest secure-aggregation request body (the parsers bound the JSON text to this). */
const MAX_MESSAGE_BYTES = SECAGG_DEFAULT_LIMITS.maxTextLength;

/** A device's request that carries only its ticket: `{ "ticket": "…" }`. */
function parseTicket(bytes: Uint8Array): string {
  const r = new FieldReader(parseJsonBytes(bytes, 'secure-aggregation request'), 'request');
  const ticket = r.string('ticket', { pattern: NONCE_PATTERN });
  r.done();
  return ticket;
}

/** The open distributed round a request names (rate-limited like other public reads). */
async function roundOf(app: AppContext, req: RequestContext): Promise<SecureRound> {
  takeToken(app, req, 'reads');
  return app.service.secureRound(pathInteger(req.params.id, 'round id'));
}

/** Reads the body, hands it to `step`, and counts a refusal by its code. */
function message(
  step: (secure: SecureRound, body: Uint8Array) => unknown,
  answer: (result: unknown) => AppResponse,
): Handler {
  return async (app, req) => {
    try {
      const secure = await roundOf(app, req);
      const body = await readCappedBody(req.request, MAX_MESSAGE_BYTES);
      return answer(step(secure, body));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && (SECAGG_ERROR_CODES as readonly string[]).includes(code)) {
        app.metrics.uploadsRejected.inc({ reason: code });
      }
      throw error;
    }
  };
}

const accepted = (): AppResponse => jsonResponse(202, { accepted: true });
const ok = (result: unknown): AppResponse => jsonResponse(200, result);

/** Secure-aggregation handlers by operation id. */
export const SECAGG_HANDLERS = {
  getSecAggStatus: async (app, req) =>
    jsonResponse(200, (await roundOf(app, req)).status(), { 'Cache-Control': 'no-store' }),
  postSecAggKeys: message((s, body) => s.coordinator.addKeys(parseKeysMessage(body)), accepted),
  postSecAggRoster: message((s, body) => s.coordinator.roster(parseTicket(body)), ok),
  postSecAggShares: message(
    (s, body) => s.coordinator.addShares(parseSharesMessage(body)),
    accepted,
  ),
  postSecAggInbox: message((s, body) => s.coordinator.inbox(parseTicket(body)), ok),
  postSecAggUnmask: message((s, body) => s.coordinator.unmaskRequest(parseTicket(body)), ok),
  postSecAggReveal: message(
    (s, body) => s.coordinator.addReveal(parseRevealMessage(body)),
    accepted,
  ),
} satisfies Record<string, Handler>;
