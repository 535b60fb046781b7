// A small CNI runtime (what libcni does for a network configuration list): runs each plugin
// binary with the CNI_* environment and the config on stdin, threads prevResult through ADD,
// and runs DEL in reverse order with the result ADD returned.
import { spawn } from 'node:child_process';
import { hostportLockArgs } from './iptables.js';
import path from 'node:path';
import { Internal } from '../../kernel/errors.js';

export interface CniPluginConf {
  type: string;
  [k: string]: unknown;
}

export interface CniConfList {
  cniVersion: string;
  name: string;
  plugins: CniPluginConf[];
}

export interface CniInvocation {
  containerId: string;
  netns: string;
  ifName: string;
  /** Per-invocation data for plugins that declare the capability (portMappings). */
  runtimeConfig?: Record<string, unknown>;
}

export interface CniResult {
  cniVersion?: string;
  interfaces?: Array<{ name: string; mac?: string; sandbox?: string }>;
  ips?: Array<{ address: string; gateway?: string; interface?: number }>;
  [k: string]: unknown;
}

export class CniError extends Internal {}

/** A plugin that has not answered by then is killed: every wait in a container's life has a deadline. */
export const pluginDeadlineMs = 30_000;

export function execPlugin(binDir: string, command: 'ADD' | 'DEL' | 'CHECK', conf: Record<string, unknown>, inv: CniInvocation, deadlineMs = pluginDeadlineMs): Promise<CniResult | undefined> {
  const type = String(conf.type);
  // portmap runs under a shared host-wide lock that the removal of its shared chains takes
  // exclusively (iptables.ts): else a cleanup by another container's removal (or another daemon)
  // could delete CNI-HOSTPORT-SETMARK between portmap creating it and jumping to it.
  const [cmd, args] = type === 'portmap' ? ['flock', hostportLockArgs('-s', path.join(binDir, type))] : [path.join(binDir, type), []];
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', CNI_COMMAND: command, CNI_CONTAINERID: inv.containerId, CNI_NETNS: inv.netns, CNI_IFNAME: inv.ifName, CNI_PATH: binDir },
      timeout: deadlineMs,
      killSignal: 'SIGKILL',
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', (e) => reject(new CniError(`CNI plugin ${type}: ${e.message}`)));
    p.on('close', (code, signal) => {
      if (signal === 'SIGKILL' && code === null) return reject(new CniError(`CNI plugin ${type} ${command}: no answer in ${deadlineMs} ms`));
      if (code === 0) {
        if (!out.trim()) return resolve(undefined);
        try {
          return resolve(JSON.parse(out) as CniResult);
        } catch {
          return reject(new CniError(`CNI plugin ${type} ${command}: unreadable result`));
        }
      }
      let msg = err.trim() || out.trim();
      try {
        const e = JSON.parse(out) as { msg?: string; details?: string };
        msg = [e.msg, e.details].filter(Boolean).join(': ');
      } catch {
        /* not a JSON error */
      }
      reject(new CniError(`CNI plugin ${type} ${command} failed: ${msg}`));
    });
    p.stdin.end(JSON.stringify(conf));
  });
}

/** The config a plugin of the list receives: name and version of the list, prevResult, runtimeConfig for its capabilities. */
export function pluginConf(list: CniConfList, plugin: CniPluginConf, inv: CniInvocation, prevResult?: CniResult): Record<string, unknown> {
  const { capabilities, ...rest } = plugin as CniPluginConf & { capabilities?: Record<string, boolean> };
  const conf: Record<string, unknown> = { ...rest, cniVersion: list.cniVersion, name: list.name };
  if (prevResult) conf.prevResult = prevResult;
  if (capabilities && inv.runtimeConfig) {
    const rc = Object.fromEntries(Object.entries(inv.runtimeConfig).filter(([k]) => capabilities[k]));
    if (Object.keys(rc).length) conf.runtimeConfig = rc;
  }
  return conf;
}

export async function addNetworkList(binDir: string, list: CniConfList, inv: CniInvocation): Promise<CniResult | undefined> {
  let prev: CniResult | undefined;
  for (const plugin of list.plugins) prev = (await execPlugin(binDir, 'ADD', pluginConf(list, plugin, inv, prev), inv)) ?? prev;
  return prev;
}

/** Runs DEL for every plugin, last first; keeps going past failures and reports the first. */
export async function delNetworkList(binDir: string, list: CniConfList, inv: CniInvocation, prevResult?: CniResult): Promise<void> {
  let first: unknown;
  for (const plugin of [...list.plugins].reverse()) {
    try {
      await execPlugin(binDir, 'DEL', pluginConf(list, plugin, inv, prevResult), inv);
    } catch (e) {
      first ??= e;
    }
  }
  if (first) throw first;
}
