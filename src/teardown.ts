/**
 * A checked delete of a whole service (SPEC §2 delete), for the delete and prune actions:
 * its versions, no traffic first, the last with the service; or the service itself when it
 * has none; then a lookup, which alone says it is gone. A version created meanwhile (a
 * deploy still running) keeps the service alive: it is listed and deleted again, up to
 * ROUNDS rounds.
 */
import { writeOnce, type Api, type ReadBack } from './client.ts';
import { CallFailed } from './errors.ts';
import { findService, listVersions, readVersions, shareOf } from './services.ts';
import {
  DELETE_SERVICE,
  DELETE_VERSION,
  deleteServiceBody,
  deleteVersionBody,
  describeFailure,
  type Call,
  type Outcome,
  type WeChatAnswer,
} from './wechat.ts';

const ROUNDS = 3;

export interface TornDown {
  /** The answer of the last delete; undefined when it was lost and a read showed it done. */
  outcome: Outcome | undefined;
  /** Every version deleted, in order. */
  versions: string[];
}

/**
 * Deletes service `serviceName` of `envId` and checks it is gone. `who` starts the failure
 * line when it is still there after the last round (`delete: service …`).
 */
export async function tearDown(api: Api, envId: string, serviceName: string, who: string): Promise<TornDown> {
  const { log } = api;
  const gone = serviceGone(api, envId, serviceName);
  const deleted: string[] = [];
  let outcome: Outcome | undefined;
  for (let round = 1; ; round++) {
    // No traffic first, so that what still serves goes last, and with it the service.
    const listing = await readVersions(api, envId, serviceName);
    const versions = listing.versions.sort((a, b) => shareOf(a) - shareOf(b));
    if (round > ROUNDS) {
      // Decided on what this read showed: its answer becomes the outputs (SPEC §2).
      throw new CallFailed(
        `${who}: service "${serviceName}" is still there after ${ROUNDS} rounds of deletes` +
          (versions.length > 0 ? ` (versions left: ${versions.map((v) => v.version_name).join(', ')})` : ' (it lists no version)') +
          `: something keeps deploying to it (a deploy or another workflow run): stop it, then run the ${who} again`,
        listing.outcome,
      );
    }
    if (round > 1) log.info(`Service "${serviceName}" is still listed: deleting what it has now (round ${round} of ${ROUNDS}).`);
    if (versions.length === 0) {
      log.info(`Service "${serviceName}" has no versions: deleting the service.`);
      outcome = await deleteOnce(api, DELETE_SERVICE, deleteServiceBody(envId, serviceName), gone);
    }
    for (const [index, { version_name: version }] of versions.entries()) {
      const withService = index === versions.length - 1;
      log.info(`Deleting version "${version}" (${index + 1} of ${versions.length})${withService ? ', and with it the service' : ''}.`);
      const done: ReadBack = async () => (await gone()) || (await versionGone(api, envId, serviceName, version)());
      outcome = await deleteOnce(api, DELETE_VERSION, deleteVersionBody(envId, serviceName, version, withService), done);
      deleted.push(version);
    }
    if (await gone()) return { outcome, versions: deleted };
  }
}

/** Is the service no longer listed? What alone says a delete of it succeeded. */
export const serviceGone =
  (api: Api, envId: string, serviceName: string): ReadBack =>
  async () =>
    !(await findService(api, envId, serviceName)).exists;

/** After a lost answer to a version delete: is the version no longer listed? */
export const versionGone =
  (api: Api, envId: string, serviceName: string, version: string): ReadBack =>
  async () =>
    !(await listVersions(api, envId, serviceName)).some((v) => v.version_name === version);

/** One delete, never repeated after it may have landed; its answer, or undefined when it was lost and a read showed it done. */
export async function deleteOnce<A extends WeChatAnswer>(
  api: Api,
  call: Call<A>,
  body: unknown,
  done: ReadBack,
): Promise<Outcome | undefined> {
  const written = await writeOnce(api, call, body, done);
  if (written.answered === undefined) {
    api.log.info(`The answer was lost (${written.lost}), but a read shows it was deleted.`);
    return undefined;
  }
  const { outcome, attempts } = written.answered;
  if (outcome.errcode !== 0) throw new CallFailed(describeFailure(call, outcome, attempts), outcome);
  return outcome;
}
