// isolated-vm 5 on Node 20 can abort a process that ends by itself: if V8 is marking when the
// process ends, Node's teardown finishes that collection after isolated-vm's per-thread state is
// gone, and a weak callback of an isolated-vm handle then fails an assertion (SIGABRT, exit 134;
// "IsolateEnvironment::GetCurrent(): Assertion `environment != nullptr'", seen in core dumps of
// channels.test, about 1 run in 10). A daemon that had run inline functions could end its clean
// stop that way. process.exit() at the 'exit' event leaves before that teardown. The listener is
// added at the first 'beforeExit' so that it is the last one, after every other 'exit' listener;
// an explicit process.exit() never reaches the teardown and needs nothing.
// Called once, by isolate.ts as it loads (a module is evaluated once).
export function guardExit(): void {
  process.once('beforeExit', () => process.once('exit', (code) => process.exit(code)));
}
