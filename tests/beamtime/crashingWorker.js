// The batch worker (dist/beamtime/worker.js), except that it dies by SIGKILL (as a native crash or the OOM killer
// would end it) on the shot named in PYROLIVE_TEST_CRASH_ON: for tests/beamtime/batch.test.ts.
'use strict';
const { serveWorker } = require('../../dist/beamtime/worker.js');

process.on('message', (request) => {
  if (request && request.job && request.job.name === process.env.PYROLIVE_TEST_CRASH_ON) {
    process.kill(process.pid, 'SIGKILL');
  }
});
serveWorker();
