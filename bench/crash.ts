import { crashTriggers } from "../dev/crash/crash-run";
import type { Bench } from "./support/report";
import { table } from "./support/report";

const KEYS = 300;
const KILLS = 3;

export const crashBench: Bench = {
  name: "crash",
  title: "Keyed triggers under SIGKILL of the app",
  method:
    `${KEYS} triggers with an Idempotency-Key (plus 30 without) sent 8 at a time to the app running in its own ` +
    `process, which is killed with SIGKILL ${KILLS} times at random moments while they arrive and restarted; ` +
    "then every key is retried until answered, every run awaited, every record read once past the orphan delay.",
  async run() {
    const report = await crashTriggers({ keys: KEYS, keyless: 30, kills: KILLS });
    const clean = report.dangling.length === 0 && report.duplicated.length === 0 && report.stuckQueued === 0;
    return {
      figures: { ...report },
      markdown: [
        table(
          [
            "keys",
            "kills",
            "requests lost to a kill",
            "keys on one finished run",
            "dangling",
            "duplicated",
            "stuck queued",
            "orphans settled",
            "seconds",
          ],
          [
            [
              report.keys,
              report.kills,
              report.lostRequests,
              report.keysFinished,
              report.dangling.length,
              report.duplicated.length,
              report.stuckQueued,
              report.orphansSettled,
              report.seconds,
            ],
          ],
        ),
      ],
      targets: [
        {
          target: `${KEYS} keys × ${KILLS} kills: every key maps to exactly one run that finishes; 0 stuck queued, 0 dangling ids`,
          measured: `${report.keysFinished}/${report.keys} keys finished, ${report.dangling.length} dangling, ${report.duplicated.length} duplicated, ${report.stuckQueued} stuck queued`,
          met: clean && report.keysFinished === report.keys,
        },
      ],
    };
  },
};
