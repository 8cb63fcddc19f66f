// One download per blob across processes (DDP ranks, parallel jobs): the first process to take the
// lock downloads, the others wait and then find the blob in place. A holder that died leaves a
// lock that goes stale (its mtime stops being refreshed) and is taken over.
import * as fs from 'fs';
import * as path from 'path';
import * as lockfile from 'proper-lockfile';
import { sleep } from './hub_http';

const STALE_MS = 20_000;
const POLL_MS = 200;

/** Runs `work` holding the lock at lockPath, unless `done()` becomes true while waiting for it. */
export async function withBlobLock(lockPath: string, done: () => boolean, work: () => Promise<void>): Promise<void> {
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  let compromised: Error | undefined;
  for (;;) {
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(lockPath, {
        realpath: false,
        lockfilePath: lockPath,
        stale: STALE_MS,
        // The default throws from a timer (an uncaught exception); report it from here instead.
        onCompromised: (err) => {
          compromised = err;
        },
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      if (done()) return;
      await sleep(POLL_MS);
      continue;
    }
    try {
      if (!done()) await work();
    } finally {
      await release().catch(() => undefined); // a compromised lock is already gone
    }
    if (compromised) throw new Error(`the download lock ${lockPath} was taken over while held (${compromised.message}); run again`);
    return;
  }
}
