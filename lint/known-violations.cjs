// Imports that break the rules in .dependency-cruiser.cjs today, one entry per import (file -> target).
// They are the redesign work of issue 14: remove an entry when its import is gone (the lint does not
// complain about a stale entry, so prune this list as you go). Do not add entries: a new violation
// should be fixed, not listed.
module.exports = [
  // src/cli/commands/store.ts: `llmos store` on a stopped daemon's data dir opens the store file itself,
  // as `llmos up` runs the daemon (the offline store tools belong beside daemon.ts)
  { rule: 'cli-imports-contracts-and-client', from: 'src/cli/commands/store.ts', to: 'src/modules/state-store/offline.ts' },
  { rule: 'cli-imports-contracts-and-client', from: 'src/cli/commands/store.ts', to: 'src/kernel/datadir-lock.ts' },
  // src/modules/api/routes/images.ts: the API reaches into images internals (issue 14)
  { rule: 'no-cross-module-import', from: 'src/modules/api/routes/images.ts', to: 'src/modules/images/archive.ts' },
  { rule: 'no-cross-module-import', from: 'src/modules/api/routes/images.ts', to: 'src/modules/images/image-service.ts' },
  { rule: 'no-cross-module-import', from: 'src/modules/api/routes/images.ts', to: 'src/modules/images/platform.ts' },
  { rule: 'no-cross-module-import', from: 'src/modules/api/routes/images.ts', to: 'src/modules/images/reference.ts' },
  // src/modules/autoscaler/controller.test.ts: test fixture: a real SQLite state store
  { rule: 'no-cross-module-import', from: 'src/modules/autoscaler/controller.test.ts', to: 'src/modules/state-store/sqlite-store.ts' },
  // src/modules/functions/async.test.ts: test fixture: a real SQLite state store
  { rule: 'no-cross-module-import', from: 'src/modules/functions/async.test.ts', to: 'src/modules/state-store/sqlite-store.ts' },
  { rule: 'no-cross-module-import', from: 'src/modules/functions/secrets.test.ts', to: 'src/modules/state-store/sqlite-store.ts' },
  // src/modules/functions/pool.ts: keep-alive policies belong on the policies contract
  { rule: 'no-cross-module-import', from: 'src/modules/functions/pool.ts', to: 'src/modules/autoscaler/policies/keepalive.ts' },
  // src/modules/functions/spec.ts: keep-alive parsing lives under autoscaler/policies
  { rule: 'no-cross-module-import', from: 'src/modules/functions/spec.ts', to: 'src/modules/autoscaler/policies/keepalive.ts' },
  // src/modules/monitor/module.ts: monitor reads cgroups, CNI and QoS through other modules' files (issue 14)
  { rule: 'no-cross-module-import', from: 'src/modules/monitor/module.ts', to: 'src/modules/network/cni-network.ts' },
  { rule: 'no-cross-module-import', from: 'src/modules/monitor/module.ts', to: 'src/modules/runtime-runc/cgroups.ts' },
  { rule: 'no-cross-module-import', from: 'src/modules/monitor/module.ts', to: 'src/modules/scheduler/qos.ts' },
  // src/modules/runtime-runc/module.ts: the CNI network type
  { rule: 'no-cross-module-import', from: 'src/modules/runtime-runc/module.ts', to: 'src/modules/network/cni-network.ts' },
  // src/modules/scheduler/module.test.ts: test fixture: the state-store module
  { rule: 'no-cross-module-import', from: 'src/modules/scheduler/module.test.ts', to: 'src/modules/state-store/module.ts' },
  // src/modules/services/apply.test.ts: test fixture: a real SQLite state store
  { rule: 'no-cross-module-import', from: 'src/modules/services/apply.test.ts', to: 'src/modules/state-store/sqlite-store.ts' },
  // src/modules/services/controller.test.ts: test fixture: a real SQLite state store
  { rule: 'no-cross-module-import', from: 'src/modules/services/controller.test.ts', to: 'src/modules/state-store/sqlite-store.ts' },
];
