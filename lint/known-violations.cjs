// Imports that break the rules in .dependency-cruiser.cjs today, one entry per import (file -> target).
// What is left is the API's and the gateway's (issue 14, being removed there): remove an entry when
// its import is gone, and delete this file (and its use in .dependency-cruiser.cjs) when it is
// empty. Do not add entries: a new violation should be fixed, not listed.
module.exports = [
  // src/modules/api/routes/dashboard.ts: dashboard assets dir
  { rule: 'no-cross-module-import', from: 'src/modules/api/routes/dashboard.ts', to: 'src/modules/dashboard/module.ts' },
  // src/modules/api/routes/functions.ts: function failure mapping and source handling
  { rule: 'no-cross-module-import', from: 'src/modules/api/routes/functions.ts', to: 'src/modules/functions/failures.ts' },
  { rule: 'no-cross-module-import', from: 'src/modules/api/routes/functions.ts', to: 'src/modules/functions/source.ts' },
  // src/modules/gateway/module.ts: the gateway imports from api/module (issue 14)
  { rule: 'no-cross-module-import', from: 'src/modules/gateway/module.ts', to: 'src/modules/api/module.ts' },
  // src/modules/gateway/server.ts: HTTP error mapping and function failures
  { rule: 'no-cross-module-import', from: 'src/modules/gateway/server.ts', to: 'src/modules/api/errors-http.ts' },
  { rule: 'no-cross-module-import', from: 'src/modules/gateway/server.ts', to: 'src/modules/functions/failures.ts' },
];
