// The containers contract, continued (re-exported by containers.ts): tar-safe copies in and out
// of a container, and live terminals and stdin. Owned by the containers module.

// ---- Copying files (Docker's cp and /containers/{id}/archive) ----

/** A path inside a container, as `cp` reports it (Docker's X-Docker-Container-Path-Stat). */
export interface ContainerPathStat {
  name: string;
  size: number;
  /** Unix st_mode: file type and permission bits. */
  mode: number;
  mtime: string;
  /** For a symbolic link: its target as a container path (else ''). */
  linkTarget: string;
}

/**
 * Tar-safe copies in and out of a container, running or stopped: the container path resolves
 * inside its root filesystem as the kernel would in a chroot (no symlink leads out of it).
 */
export interface ContainerCopyApi {
  statPath(idOrName: string, path: string): Promise<ContainerPathStat>;
  /** A tar of the path (its last component not followed; a directory with its contents). */
  getArchive(idOrName: string, path: string): Promise<{ stat: ContainerPathStat; tar: AsyncIterable<Uint8Array> }>;
  /**
   * Extracts a tar into the directory `path`; copyUidGid keeps the archive's owners (else root);
   * rename extracts the top entry `from` as `to` (cp to a path that does not exist yet).
   */
  putArchive(idOrName: string, path: string, tar: AsyncIterable<Uint8Array>, opts?: { copyUidGid?: boolean; noOverwriteDirNonDir?: boolean; rename?: { from: string; to: string } }): Promise<void>;
}

// ---- Terminals and stdin (attach, interactive exec) ----

/** One piece of a process's output. With a TTY everything is stdout. */
export interface StdioChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** How a stdio session ended: the process's exit (exec), the output's end (attach), or a detach. */
export interface StdioEnd {
  exitCode?: number;
  detached?: boolean;
}

/** A live connection to a process's stdio (conmon's attach socket, or an interactive exec). */
export interface StdioSession {
  readonly tty: boolean;
  /** Output as it comes; ends when the process ends, the session detaches, or close() is called. */
  output: AsyncIterable<StdioChunk>;
  /** Bytes for the process's stdin (ignored when the session has no stdin); the detach keys are watched here. */
  write(data: Buffer): void;
  /** End of input: the process's stdin is closed (for a container: unless it keeps stdin open). */
  closeStdin(): void;
  resize(rows: number, cols: number): Promise<void>;
  /** Resolves once the output is over. */
  done: Promise<StdioEnd>;
  /** Stops relaying (a detach); the process keeps running. */
  close(): void;
}

export interface AttachOptions {
  stdin?: boolean;
  /** Docker's format: "ctrl-p,ctrl-q" (the default), "a,ctrl-b", or "" for none. */
  detachKeys?: string;
}

export interface ExecStdioOptions extends AttachOptions {
  tty?: boolean;
  env?: Record<string, string>;
  user?: string;
  workingDir?: string;
}

/** Offered by a runtime with terminals and stdin (check with `'attach' in api`). */
export interface ContainerStdioApi {
  /** Attaches to the container's stdio; a created container is attached from its start (call start after this resolves). */
  attach(idOrName: string, opts?: AttachOptions): Promise<StdioSession>;
  /** Resizes the container's TTY. */
  resize(idOrName: string, rows: number, cols: number): Promise<void>;
  /** Runs a process in the container with its stdio connected (-i, -t). */
  execStdio(idOrName: string, cmd: string[], opts?: ExecStdioOptions): Promise<StdioSession>;
}
