import type { WriteBatch, WriteResult } from "@google-cloud/firestore";
import { GrpcCode, StoreError } from "../../src/state/errors.js";
import { DocIO, type DocIODeps, Writes } from "../../src/state/firestore.js";
import type { Op } from "../../src/state/op.js";

type Fault =
  /** The commit never reaches Firestore: nothing changes. */
  | { kind: "fail" }
  /** The commit lands, then the caller sees a timeout: an ambiguous outcome. */
  | { kind: "lost_ack" }
  /** The commit waits until the test releases it (then it proceeds normally). */
  | { kind: "stall"; release: Promise<void> };

const unavailable = (what: string) =>
  new StoreError("unavailable", `${what} (injected)`, { code: GrpcCode.UNAVAILABLE, transient: true });

/**
 * The real Firestore edge with faults injected at commits, for the failures a
 * real emulator will not produce on cue: a commit that fails before taking
 * effect, one that takes effect but whose answer is lost, one that stalls.
 * Faults apply to the next commits matching `when` (by default every commit).
 */
export class FaultyIO extends DocIO {
  private faults: { when: (label: string[]) => boolean; fault: Fault; times: number }[] = [];
  /** Paths written by each commit, in order (for assertions). */
  readonly commits: string[][] = [];

  static factory(holder: { io?: FaultyIO }) {
    return (deps: DocIODeps) => {
      holder.io = new FaultyIO(deps);
      return holder.io;
    };
  }

  inject(fault: Fault, opts: { times?: number; when?: (paths: string[]) => boolean } = {}): void {
    this.faults.push({ fault, times: opts.times ?? 1, when: opts.when ?? (() => true) });
  }

  /** A stall the test releases by calling the returned function. */
  stall(opts: { times?: number; when?: (paths: string[]) => boolean } = {}): () => void {
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    this.inject({ kind: "stall", release: released }, opts);
    return release;
  }

  clear(): void {
    this.faults = [];
  }

  override async commit(op: Op, build: (writes: Writes) => void): Promise<WriteResult[]> {
    // Builders only add writes (and note their indices), so a dry run on a recording
    // batch tells which documents this commit touches.
    const paths: string[] = [];
    const record = (ref: { path: string }) => void paths.push(ref.path);
    build(
      new Writes({ create: record, update: record, set: record, delete: record } as unknown as WriteBatch),
    );
    const index = this.faults.findIndex((f) => f.times > 0 && f.when(paths));
    const rule = index >= 0 ? this.faults[index] : undefined;
    if (rule && --rule.times === 0) this.faults.splice(index, 1);
    const fault = rule?.fault;
    if (fault?.kind === "fail") throw unavailable("commit failed");
    if (fault?.kind === "stall") await fault.release;
    const results = await super.commit(op, build);
    this.commits.push(paths);
    if (fault?.kind === "lost_ack") throw unavailable("commit answer lost");
    return results;
  }
}
