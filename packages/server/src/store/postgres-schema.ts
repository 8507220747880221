/**
 * The PostgreSQL schema of the store (all names prefixed `privads_`). Creating it is idempotent and
 * runs under an advisory lock, so instances starting together do not race on `CREATE TABLE`.
 *
 * - `privads_rounds` — one row per round; at most one with status `open` (partial unique index).
 * - `privads_updates` — one row per accepted nonce of an open round. `body` holds the upload until
 *   the accepting instance folds it into its partial sum (then it is set to NULL in the same
 *   transaction); the row itself stays to de-duplicate the nonce. Deleted when the round closes.
 * - `privads_partial_sums` — each instance's running sum of the updates it folded, per round.
 * - `privads_versions`, `privads_releases`, `privads_optimizer_state`, `privads_ledger` — immutable
 *   published data.
 * - `privads_pq_indexes` — the PQ index of a catalog version that has one, inserted in the
 *   transaction that inserts the version (its `info.pqIndex` announces it).
 */

/** Key of the advisory lock serialising schema creation. */
export const SCHEMA_LOCK_KEY = 0x70726976; // "priv"
/** Key of the transaction advisory lock serialising version numbering (publish, close, initialise). */
export const VERSIONS_LOCK_KEY = 0x61647376; // "adsv"

/** Statements creating the schema (idempotent). */
export const SCHEMA_STATEMENTS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS privads_rounds (
     round_id integer PRIMARY KEY,
     status text NOT NULL CHECK (status IN ('open', 'released', 'insufficient')),
     config jsonb NOT NULL,
     opened_at text NOT NULL,
     closed jsonb
   )`,
  `CREATE UNIQUE INDEX IF NOT EXISTS privads_rounds_one_open ON privads_rounds ((status)) WHERE status = 'open'`,
  `CREATE TABLE IF NOT EXISTS privads_updates (
     round_id integer NOT NULL,
     nonce text NOT NULL,
     instance_id text NOT NULL,
     body bytea,
     PRIMARY KEY (round_id, nonce)
   )`,
  `CREATE INDEX IF NOT EXISTS privads_updates_unfolded ON privads_updates (round_id, instance_id) WHERE body IS NOT NULL`,
  `CREATE TABLE IF NOT EXISTS privads_partial_sums (
     round_id integer NOT NULL,
     instance_id text NOT NULL,
     accumulator bytea NOT NULL,
     PRIMARY KEY (round_id, instance_id)
   )`,
  `CREATE TABLE IF NOT EXISTS privads_versions (
     kind text NOT NULL,
     version integer NOT NULL,
     info jsonb NOT NULL,
     bytes bytea NOT NULL,
     PRIMARY KEY (kind, version)
   )`,
  `CREATE TABLE IF NOT EXISTS privads_releases (round_id integer PRIMARY KEY, bytes bytea NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS privads_optimizer_state (projector_version integer PRIMARY KEY, bytes bytea NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS privads_ledger (round_id integer PRIMARY KEY, entry jsonb NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS privads_pq_indexes (catalog_version integer PRIMARY KEY, bytes bytea NOT NULL)`,
];
