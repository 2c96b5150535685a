'use strict';
// What commander's `require('node:child_process')` gets in the command line's bundle (scripts/build-cli.js aliases
// it here): the module, loaded on first use. commander uses it only to run external subcommands, which pyrolive has
// none of, and loading it at start-up (with net, dgram and their bindings) cost ~0.5 ms before the first fit.
let childProcess = null;

function loaded() {
  if (childProcess === null) {
    childProcess = require('child_process');
  }
  return childProcess;
}

module.exports = new Proxy(
  {},
  {
    get: (_target, name) => loaded()[name],
    has: (_target, name) => name in loaded(),
  },
);
