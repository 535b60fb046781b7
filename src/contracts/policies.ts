// Decision contracts shared by the live daemon and the simulator. Implementations are pure
// functions of their inputs and `now` (ms since epoch, or simulated ms): no I/O, no clocks.

/** A scaling policy: how many replicas/instances a workload should have. */
export interface ScalingPolicy<Input, State, Config = unknown> {
  readonly name: string;
  initialState(config: Config): State;
  recommend(input: Input, state: State, now: number, config: Config): ScalingDecision<State>;
}

export interface ScalingDecision<State> {
  desired: number;
  nextState: State;
  /** Plain words, e.g. "panic: 6 s concurrency 41 / target 7 = 5.9 instances". */
  reason: string;
}

/**
 * A keep-alive policy for function instances (after "Serverless in the Wild"). After each
 * invocation ends, it says how long to keep the instance warm and whether to unload it and
 * pre-warm it later instead.
 */
export interface KeepAlivePolicy<State = unknown> {
  readonly name: string;
  /**
   * State for a new function. What is known of it up front lets a policy weigh memory against cold
   * starts (`memoryMb`) and expect a period (`timer`: only cron triggers invoke it).
   */
  initialState(fn?: { memoryMb?: number; timer?: boolean }): State;
  /** Record an invocation arriving at `now`; returns the new state. */
  observe(state: State, now: number): State;
  /** Decide after an invocation finished at `now`. */
  decide(state: State, now: number): KeepAliveDecision;
}

export interface KeepAliveDecision {
  /** Unload the instance this long after the last invocation ends, then (if prewarmMs > 0) load it again at that time. */
  prewarmMs: number;
  /** Once loaded (now, or at the pre-warm time), keep it this long. */
  keepAliveMs: number;
  reason: string;
}
